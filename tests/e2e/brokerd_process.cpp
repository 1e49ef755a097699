#include "tests/e2e/brokerd_process.hpp"

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>

#include <pqxx/pqxx>

#ifndef BROKERD_PATH
#error "BROKERD_PATH must name the brokerd binary"
#endif

namespace broker::e2e {

namespace {

// One PostgreSQL database per data dir: a lowercase name from the dir's last
// component and a hash of the whole path (mkdtemp names differ in case only).
std::string database_name_for(const std::string& data_dir) {
  std::string name = "e2e_";
  for (char c : std::filesystem::path(data_dir).filename().string())
    if (std::isalnum(static_cast<unsigned char>(c)))
      name += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  char hash[17];
  std::snprintf(hash, sizeof hash, "%016zx", std::hash<std::string>{}(data_dir));
  return name.substr(0, 40) + "_" + hash;
}

// With BROKER_E2E_DATABASE_URL set (a server, no database: e.g.
// postgresql://postgres@127.0.0.1:25432), brokerd keeps its books in
// PostgreSQL, in a database of this data dir's own, created on its first
// start; a restart on the same dir finds its books again. Unset: SQLite.
std::vector<std::string> store_args(const std::string& data_dir) {
  const char* server = std::getenv("BROKER_E2E_DATABASE_URL");
  if (server == nullptr || *server == '\0')
    return {};
  std::string base = server;
  while (!base.empty() && base.back() == '/')
    base.pop_back();
  auto name = database_name_for(data_dir);
  pqxx::connection admin{base + "/postgres"};
  pqxx::nontransaction tx{admin}; // CREATE DATABASE can't run in a transaction
  if (tx.exec_params("SELECT 1 FROM pg_database WHERE datname = $1", name).empty())
    tx.exec("CREATE DATABASE " + tx.quote_name(name));
  return {"--database-url", base + "/" + name};
}

std::vector<std::string> brokerd_args(const std::string& data_dir, const std::vector<std::string>& store,
                                      const std::vector<std::string>& extra) {
  std::vector<std::string> args{BROKERD_PATH, "--port", "0", "--admin-port", "0", "--data-dir", data_dir,
                                "--password-cost", "min"};
  args.insert(args.end(), store.begin(), store.end());
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

} // namespace

brokerd_process::brokerd_process(std::string data_dir, std::vector<std::string> extra_args,
                                 std::chrono::milliseconds startup_deadline)
  : data_dir_(std::move(data_dir)) {
  auto store = store_args(data_dir_);
  if (!store.empty())
    database_url_ = store.back();
  const std::string prefix = "brokerd listening on http://";
  child_ = std::make_unique<child_process>(brokerd_args(data_dir_, store, extra_args), stderr_path(), prefix,
                                           startup_deadline);
  // brokerd listening on http://HOST:PORT (data in DIR)
  const std::string& line = child_->ready_line();
  const std::string data_marker = " (data in ";
  auto data_at = line.find(data_marker);
  if (data_at == std::string::npos || line.back() != ')')
    child_->fail("printed an unexpected listening line: " + line);
  std::string host_port = line.substr(prefix.size(), data_at - prefix.size());
  std::string dir = line.substr(data_at + data_marker.size(), line.size() - data_at - data_marker.size() - 1);
  auto colon = host_port.rfind(':');
  if (colon == std::string::npos || colon == 0)
    child_->fail("listens somewhere unexpected: " + line);
  std::string port_text = host_port.substr(colon + 1);
  long port = 0;
  try {
    size_t used = 0;
    port = std::stol(port_text, &used);
    if (used != port_text.size())
      port = 0;
  } catch (const std::exception&) {
    port = 0;
  }
  if (port <= 0 || port > 65535)
    child_->fail("printed a bad port: " + line);
  if (dir != data_dir_)
    child_->fail("reports data dir '" + dir + "', expected '" + data_dir_ + "'");
  port_ = static_cast<uint16_t>(port);
  host_ = host_port.substr(0, colon);
  // "brokerd operator console on http://HOST:PORT", printed before, unless
  // the console is off.
  const std::string console = "brokerd operator console on http://";
  const auto& before = child_->before_ready();
  if (auto at = before.find(console); at != std::string::npos) {
    auto end = before.find('\n', at);
    auto url = before.substr(at + console.size(), end == std::string::npos ? std::string::npos : end - at - console.size());
    auto c = url.rfind(':');
    admin_port_ = c == std::string::npos ? 0 : static_cast<uint16_t>(std::stoi(url.substr(c + 1)));
  }
}

brokerd_process::~brokerd_process() = default;

} // namespace broker::e2e

// --- run_brokerd ---------------------------------------------------------------

namespace broker::e2e {

command_output run_brokerd(const std::vector<std::string>& args, std::chrono::milliseconds deadline) {
  std::vector<std::string> all{BROKERD_PATH};
  all.insert(all.end(), args.begin(), args.end());
  return run_to_exit(std::move(all), deadline);
}

} // namespace broker::e2e
