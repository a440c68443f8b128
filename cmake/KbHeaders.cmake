# Per-target include paths that make the architecture a build rule (shared/STYLE.md): a library
# sees only its own headers and those of the libraries it links (PUBLIC link = PUBLIC headers), so
# a wrong-way include (proxy -> controller, core -> net, config -> core) fails to compile with
# "No such file or directory" instead of passing review unnoticed.
#
# kb_headers(TARGET ITEM...) gives TARGET an include root of its own in the build tree,
# build/include/TARGET/, holding symbolic links to its headers at their usual paths: an ITEM is a
# folder (every *.h directly in it) or a single header, relative to the project root. Sources keep
# writing #include "proxy/core/snapshot.h". Tests and benchmarks include from the project root
# (tests/CMakeLists.txt, bench/CMakeLists.txt): they may look at any part.
function(kb_headers target)
  set(root ${PROJECT_BINARY_DIR}/include/${target})
  set(headers)
  foreach(item IN LISTS ARGN)
    if(item MATCHES "\\.h$")
      list(APPEND headers ${item})
    else()
      file(GLOB found RELATIVE ${PROJECT_SOURCE_DIR} CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/${item}/*.h)
      list(APPEND headers ${found})
    endif()
  endforeach()
  foreach(header IN LISTS headers)
    if(NOT EXISTS ${PROJECT_SOURCE_DIR}/${header})
      message(FATAL_ERROR "kb_headers(${target}): ${header} does not exist")
    endif()
    get_filename_component(folder ${root}/${header} DIRECTORY)
    file(MAKE_DIRECTORY ${folder})
    file(CREATE_LINK ${PROJECT_SOURCE_DIR}/${header} ${root}/${header} SYMBOLIC)
  endforeach()
  get_target_property(type ${target} TYPE)
  if(type STREQUAL "INTERFACE_LIBRARY")
    target_include_directories(${target} INTERFACE ${root})
  else()
    target_include_directories(${target} PUBLIC ${root})
  endif()
endfunction()
