#pragma once
// Watches the table file and reloads it on change. inotify watches the file's DIRECTORY, so every
// way a file gets replaced triggers a reload: editors' and the controller's write-to-temp + rename,
// in-place writes, and Kubernetes ConfigMap volumes (the `..data` symlink swapped atomically).
// Events are debounced (a burst of writes makes one reload, with a ceiling on the delay); SIGHUP
// calls reload() directly. A reload parses and validates; a bad file is logged with file, line
// and field and the current table stays; a table equal to the current one is not published.
// Runs on the control io_context only; the data plane sees nothing but published snapshots.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "proxy/app/log.h"
#include "proxy/config/table.h"
#include "proxy/config/table_cache.h"
#include "proxy/config/table_yaml.h"

namespace kb::proxy::app {

class TableWatcher {
 public:
  // Called with each new valid table that differs from the current one. May throw
  // (std::exception): the reload then counts as failed and the current table stays.
  using Publish = std::function<void(const config::Table&)>;

  struct Options {
    std::chrono::milliseconds debounce{100};      // quiet time after the last event
    std::chrono::milliseconds max_delay{1000};    // a steady stream of events still reloads
  };

  TableWatcher(boost::asio::io_context& io, std::string path, Logger& log, Publish publish,
               Options options);
  TableWatcher(boost::asio::io_context& io, std::string path, Logger& log, Publish publish)
      : TableWatcher(io, std::move(path), log, std::move(publish), Options{}) {}
  ~TableWatcher();

  // Called after every reload attempt that was not a no-op: true = published, false = rejected.
  void on_result(std::function<void(bool)> callback) { on_result_ = std::move(callback); }

  // Checks what a valid table names outside its own text (certificate files, proxy/tls/) on
  // every reload, an unchanged table included (SIGHUP after certificates were rotated on disk).
  // Problems carry field paths ("tls[0].key"); the watcher adds the file, line and column and
  // rejects the whole table, the current one staying. `commit` runs once the table is published
  // (or found unchanged), so what was prepared goes live with it and not before.
  struct Prepared {
    std::vector<config::ConfigError> errors;
    std::function<void()> commit;
  };
  using Prepare = std::function<Prepared(const config::Table&)>;
  void on_prepare(Prepare prepare) { prepare_ = std::move(prepare); }

  // Starts watching the directory (throws std::system_error if inotify fails).
  void start();
  void stop();

  // Loads now: true if a table was published or the file equals the current table.
  bool reload(std::string_view reason);

  const std::optional<config::Table>& current() const { return current_; }
  uint64_t reloads_ok() const { return reloads_ok_; }        // published
  uint64_t reloads_failed() const { return reloads_failed_; }
  uint64_t reloads_unchanged() const { return reloads_unchanged_; }

 private:
  void do_read();
  void on_events(std::size_t bytes);
  void schedule();
  bool reject(std::string_view reason, const std::vector<config::ConfigError>& errors);

  boost::asio::io_context& io_;
  std::string path_;
  std::string dir_;
  std::string base_;
  Logger& log_;
  Publish publish_;
  std::function<void(bool)> on_result_;
  Prepare prepare_;
  Options options_;
  int inotify_fd_ = -1;
  std::unique_ptr<boost::asio::posix::stream_descriptor> stream_;
  boost::asio::steady_timer timer_;
  std::optional<std::chrono::steady_clock::time_point> first_pending_;
  alignas(8) char events_[16 * 1024];
  config::TableParser parser_;  // a controller's rewrite re-reads only the balancers it changed
  std::optional<config::Table> current_;
  uint64_t reloads_ok_ = 0;
  uint64_t reloads_failed_ = 0;
  uint64_t reloads_unchanged_ = 0;
};

}  // namespace kb::proxy::app
