#include "proxy/app/table_watcher.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace kb::proxy::app {
namespace {

namespace fs = std::filesystem;

constexpr const char* kTableA =
    "balancers:\n"
    "  - name: web\n"
    "    members:\n"
    "      - {url: \"http://127.0.0.1:9001\", route: r1}\n"
    "routes:\n"
    "  - {path: /, balancer: web}\n";
constexpr const char* kTableB =
    "balancers:\n"
    "  - name: web\n"
    "    members:\n"
    "      - {url: \"http://127.0.0.1:9001\", route: r1}\n"
    "      - {url: \"http://127.0.0.1:9002\", route: r2}\n"
    "routes:\n"
    "  - {path: /, balancer: web}\n";
constexpr const char* kTableBad =
    "balancers:\n"
    "  - name: web\n"
    "    members:\n"
    "      - {url: \"http://127.0.0.1:9001\", loadfactor: 500}\n";

class TableWatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/kb-watch-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    log_path_ = dir_ + "/error.log";
    log_.open(log_path_);
    log_.set_level(LogLevel::kDebug);
  }
  void TearDown() override { fs::remove_all(dir_); }

  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ + "/" + name) << text;
  }
  // Write-to-temp + rename, as the controller and most editors do.
  void replace(const std::string& name, const std::string& text) {
    write(name + ".tmp", text);
    fs::rename(dir_ + "/" + name + ".tmp", dir_ + "/" + name);
  }
  std::string log_text() {
    std::ifstream in(log_path_);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  // Runs the control loop until `n` tables were published (or 10 s pass: a failure).
  void run_until_published(boost::asio::io_context& io, size_t n) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (published_.size() < n && std::chrono::steady_clock::now() < deadline) {
      io.run_for(std::chrono::milliseconds(20));
      io.restart();
    }
  }

  std::string dir_;
  std::string log_path_;
  Logger log_;
  std::vector<config::Table> published_;
  TableWatcher::Publish publish_ = [this](const config::Table& t) { published_.push_back(t); };
};

TEST_F(TableWatcherTest, InitialLoadPublishes) {
  boost::asio::io_context io;
  write("table.yaml", kTableA);
  TableWatcher w(io, dir_ + "/table.yaml", log_, publish_);
  EXPECT_TRUE(w.reload("startup"));
  ASSERT_EQ(published_.size(), 1u);
  EXPECT_EQ(published_[0].balancers[0].members.size(), 1u);
}

TEST_F(TableWatcherTest, EqualTableIsNotPublishedAgain) {
  boost::asio::io_context io;
  write("table.yaml", kTableA);
  TableWatcher w(io, dir_ + "/table.yaml", log_, publish_);
  EXPECT_TRUE(w.reload("startup"));
  write("table.yaml", std::string("# a comment changes bytes, not the table\n") + kTableA);
  EXPECT_TRUE(w.reload("SIGHUP"));
  EXPECT_EQ(published_.size(), 1u);
  EXPECT_EQ(w.reloads_unchanged(), 1u);
}

TEST_F(TableWatcherTest, BadTableKeepsTheCurrentOneAndNamesFileLineAndField) {
  boost::asio::io_context io;
  write("table.yaml", kTableA);
  TableWatcher w(io, dir_ + "/table.yaml", log_, publish_);
  ASSERT_TRUE(w.reload("startup"));
  write("table.yaml", kTableBad);
  EXPECT_FALSE(w.reload("SIGHUP"));
  EXPECT_EQ(published_.size(), 1u);
  ASSERT_TRUE(w.current().has_value());
  EXPECT_EQ(w.current()->balancers[0].members.size(), 1u);
  std::string text = log_text();
  EXPECT_NE(text.find("[error] table rejected (SIGHUP), keeping the current table: " + dir_ +
                      "/table.yaml:4:"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("balancers[0].members[0].loadfactor"), std::string::npos) << text;
}

TEST_F(TableWatcherTest, PrepareRejectsWithLineAndCommitsOnlyWhatGoesLive) {
  boost::asio::io_context io;
  write("table.yaml", kTableA);
  TableWatcher w(io, dir_ + "/table.yaml", log_, publish_);
  std::vector<std::string> committed;
  bool refuse = false;
  w.on_prepare([&](const config::Table& t) {
    TableWatcher::Prepared p;
    if (refuse) p.errors.push_back({"", 0, 0, "balancers[0].members[0].url", "refused by the hook"});
    const std::size_t members = t.balancers[0].members.size();
    p.commit = [&committed, members] { committed.push_back(std::to_string(members)); };
    return p;
  });
  ASSERT_TRUE(w.reload("startup"));
  EXPECT_TRUE(w.reload("SIGHUP"));  // unchanged: still prepared and committed (rotated files)
  EXPECT_EQ(w.reloads_unchanged(), 1u);
  refuse = true;
  write("table.yaml", kTableB);
  EXPECT_FALSE(w.reload("SIGHUP"));
  EXPECT_EQ(committed, (std::vector<std::string>{"1", "1"}));
  EXPECT_EQ(published_.size(), 1u);
  EXPECT_NE(log_text().find("keeping the current table: " + dir_ +
                            "/table.yaml:4:15: balancers[0].members[0].url: refused by the hook"),
            std::string::npos)
      << log_text();
  refuse = false;
  EXPECT_TRUE(w.reload("SIGHUP"));
  EXPECT_EQ(committed.back(), "2");
}

TEST_F(TableWatcherTest, MissingFileIsAnError) {
  boost::asio::io_context io;
  TableWatcher w(io, dir_ + "/none.yaml", log_, publish_);
  EXPECT_FALSE(w.reload("startup"));
  EXPECT_FALSE(w.current().has_value());
}

TEST_F(TableWatcherTest, PublishFailureKeepsTheCurrentTable) {
  boost::asio::io_context io;
  write("table.yaml", kTableA);
  bool fail = false;
  TableWatcher w(io, dir_ + "/table.yaml", log_, [&](const config::Table& t) {
    if (fail) throw std::runtime_error("cannot build");
    published_.push_back(t);
  });
  ASSERT_TRUE(w.reload("startup"));
  fail = true;
  write("table.yaml", kTableB);
  EXPECT_FALSE(w.reload("SIGHUP"));
  EXPECT_EQ(w.current()->balancers[0].members.size(), 1u);
  EXPECT_NE(log_text().find("could not be applied"), std::string::npos);
}

TEST_F(TableWatcherTest, RenameIntoPlaceTriggersAReload) {
  boost::asio::io_context io;
  write("table.yaml", kTableA);
  TableWatcher w(io, dir_ + "/table.yaml", log_, publish_, {std::chrono::milliseconds(20), std::chrono::milliseconds(500)});
  ASSERT_TRUE(w.reload("startup"));
  w.start();
  replace("table.yaml", kTableB);
  run_until_published(io, 2);
  ASSERT_EQ(published_.size(), 2u);
  EXPECT_EQ(published_[1].balancers[0].members.size(), 2u);
}

TEST_F(TableWatcherTest, InPlaceWriteTriggersAReload) {
  boost::asio::io_context io;
  write("table.yaml", kTableA);
  TableWatcher w(io, dir_ + "/table.yaml", log_, publish_, {std::chrono::milliseconds(20), std::chrono::milliseconds(500)});
  ASSERT_TRUE(w.reload("startup"));
  w.start();
  write("table.yaml", kTableB);
  run_until_published(io, 2);
  ASSERT_EQ(published_.size(), 2u);
}

// A Kubernetes ConfigMap volume: table.yaml -> ..data/table.yaml, ..data -> ..2024_01; an update
// writes a new timestamped dir and renames a new ..data symlink over the old one.
TEST_F(TableWatcherTest, ConfigMapSymlinkSwapTriggersAReload) {
  boost::asio::io_context io;
  fs::create_directory(dir_ + "/..v1");
  write("..v1/table.yaml", kTableA);
  fs::create_directory_symlink("..v1", dir_ + "/..data");
  fs::create_symlink("..data/table.yaml", dir_ + "/table.yaml");
  TableWatcher w(io, dir_ + "/table.yaml", log_, publish_, {std::chrono::milliseconds(20), std::chrono::milliseconds(500)});
  ASSERT_TRUE(w.reload("startup"));
  w.start();
  fs::create_directory(dir_ + "/..v2");
  write("..v2/table.yaml", kTableB);
  fs::create_directory_symlink("..v2", dir_ + "/..data_tmp");
  fs::rename(dir_ + "/..data_tmp", dir_ + "/..data");
  run_until_published(io, 2);
  ASSERT_EQ(published_.size(), 2u);
  EXPECT_EQ(published_[1].balancers[0].members.size(), 2u);
}

}  // namespace
}  // namespace kb::proxy::app
