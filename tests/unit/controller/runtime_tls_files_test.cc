// TLS files: written once with mode 0600, and removed only when neither the published table nor
// the one before it names them.
#include "controller/runtime/tls_files.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace kb::controller::runtime {
namespace {
namespace fs = std::filesystem;

std::string read(const fs::path& p) {
  std::ifstream in(p);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

class TlsFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("kb-tls-files-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string at(const std::string& name) const { return (dir_ / name).string(); }
  fs::path dir_;
};

TEST_F(TlsFilesTest, WritesPrivateFilesAndPrunesTwoTablesBack) {
  TlsFiles files(dir_.string());
  const std::vector<reconcile::TlsFile> v1 = {{at("a-1.crt"), "C1"}, {at("a-1.key"), "K1"}};
  files.write(v1);
  struct stat st {};
  ASSERT_EQ(::stat(at("a-1.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(read(at("a-1.key")), "K1");
  std::ofstream(at("unrelated.txt")) << "x";  // not ours: never removed
  EXPECT_EQ(files.published(v1), 0);

  const std::vector<reconcile::TlsFile> v2 = {{at("a-2.crt"), "C2"}, {at("a-2.key"), "K2"}};
  files.write(v2);
  EXPECT_EQ(files.published(v2), 0);  // a-1 is the previous table's: kept
  EXPECT_TRUE(fs::exists(at("a-1.crt")));
  EXPECT_EQ(files.published(v2), 2);  // now two tables back
  EXPECT_FALSE(fs::exists(at("a-1.crt")));
  EXPECT_FALSE(fs::exists(at("a-1.key")));
  EXPECT_TRUE(fs::exists(at("a-2.key")));
  EXPECT_TRUE(fs::exists(at("unrelated.txt")));
  // No temp file left behind by the atomic writes.
  int entries = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir_)) ++entries;
  EXPECT_EQ(entries, 3);
}

TEST_F(TlsFilesTest, UnwritableDirectoryThrows) {
  TlsFiles files((dir_ / "missing").string());
  EXPECT_THROW(files.write({{(dir_ / "missing" / "x.crt").string(), "C"}}), std::runtime_error);
}

}  // namespace
}  // namespace kb::controller::runtime
