#include "proxy/app/table_watcher.h"

#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "proxy/config/table_yaml.h"
#include "proxy/config/validate.h"

namespace kb::proxy::app {

namespace asio = boost::asio;

TableWatcher::TableWatcher(asio::io_context& io, std::string path, Logger& log, Publish publish,
                           Options options)
    : io_(io), path_(std::move(path)), log_(log), publish_(std::move(publish)), options_(options),
      timer_(io) {
  auto slash = path_.rfind('/');
  dir_ = slash == std::string::npos ? "." : (slash == 0 ? "/" : path_.substr(0, slash));
  base_ = slash == std::string::npos ? path_ : path_.substr(slash + 1);
}

TableWatcher::~TableWatcher() { stop(); }

void TableWatcher::start() {
  int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "inotify_init1");
  // No IN_MODIFY: a reload then waits for the writer's close (or rename) instead of reading a
  // half-written file.
  constexpr uint32_t kMask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE;
  if (inotify_add_watch(fd, dir_.c_str(), kMask) < 0) {
    int err = errno;
    ::close(fd);
    throw std::system_error(err, std::generic_category(), "inotify_add_watch " + dir_);
  }
  inotify_fd_ = fd;
  stream_ = std::make_unique<asio::posix::stream_descriptor>(io_, fd);  // owns fd now
  do_read();
}

void TableWatcher::stop() {
  boost::system::error_code ignored;
  timer_.cancel();
  if (stream_) {
    stream_->close(ignored);
    stream_.reset();
  }
  inotify_fd_ = -1;
}

void TableWatcher::do_read() {
  stream_->async_read_some(asio::buffer(events_, sizeof events_),
                           [this](boost::system::error_code ec, std::size_t bytes) {
                             if (ec == asio::error::operation_aborted || !stream_) return;
                             if (ec) {
                               log_.error("table watcher: inotify read failed: " + ec.message() +
                                          "; reload with SIGHUP");
                               return;
                             }
                             on_events(bytes);
                             do_read();
                           });
}

void TableWatcher::on_events(std::size_t bytes) {
  bool relevant = false;
  for (std::size_t off = 0; off + sizeof(inotify_event) <= bytes;) {
    const auto* ev = reinterpret_cast<const inotify_event*>(events_ + off);
    std::string_view name = ev->len > 0 ? std::string_view(ev->name) : std::string_view();
    // Our file, or the ConfigMap's `..data` symlink swap (the file is a link through it).
    if (name == base_ || name == "..data" || (ev->mask & IN_Q_OVERFLOW)) relevant = true;
    off += sizeof(inotify_event) + ev->len;
  }
  if (relevant) schedule();
}

void TableWatcher::schedule() {
  auto now = std::chrono::steady_clock::now();
  if (!first_pending_) first_pending_ = now;
  auto deadline = std::min(now + options_.debounce, *first_pending_ + options_.max_delay);
  timer_.expires_at(deadline);
  timer_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;  // re-armed or stopped
    first_pending_.reset();
    reload("file changed");
  });
}

bool TableWatcher::reject(std::string_view reason, const std::vector<config::ConfigError>& errors) {
  ++reloads_failed_;
  // One line per problem, each naming file:line:column: field, so they grep well.
  std::string prefix = "table rejected (" + std::string(reason) + "), " +
                       (current_ ? "keeping the current table" : "no table loaded") + ": ";
  for (const auto& e : errors) log_.error(prefix + e.to_string());
  if (on_result_) on_result_(false);
  return false;
}

bool TableWatcher::reload(std::string_view reason) {
  config::TableResult result = parser_.load_file(path_);
  if (!result.ok()) return reject(reason, result.errors);
  Prepared prepared;
  if (prepare_) prepared = prepare_(result.table);
  if (!prepared.errors.empty()) {
    std::string text;  // read again for the line numbers: only on this rare path
    if (config::read_text_file(path_, text)) config::locate_fields(text, prepared.errors);
    for (auto& e : prepared.errors) e.source = path_;
    return reject(reason, prepared.errors);
  }
  if (current_ && *current_ == result.table) {
    if (prepared.commit) prepared.commit();
    ++reloads_unchanged_;
    log_.debug("table " + path_ + " (" + std::string(reason) + ") unchanged");
    return true;
  }
  try {
    publish_(result.table);
  } catch (const std::exception& e) {
    ++reloads_failed_;
    log_.error("table " + path_ + " (" + std::string(reason) + ") could not be applied, " +
               (current_ ? "keeping the current table" : "no table loaded") + ": " + e.what());
    if (on_result_) on_result_(false);
    return false;
  }
  if (prepared.commit) prepared.commit();
  current_ = std::move(result.table);
  ++reloads_ok_;
  if (on_result_) on_result_(true);
  log_.info("table " + path_ + " (" + std::string(reason) + ") loaded: " +
            std::to_string(current_->balancers.size()) + " balancers, " +
            std::to_string(current_->routes.size()) + " routes");
  return true;
}

}  // namespace kb::proxy::app
