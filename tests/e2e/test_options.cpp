// brokerd's options as a user meets them: the README's configuration table
// (parsed, not copied), `--help`, `--print-config`, the file, and a real start
// with each option set to a value that is not its default.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/e2e/brokerd_process.hpp"
#include "tests/support/test_client.hpp"

using broker::e2e::brokerd_process;
using broker::e2e::run_brokerd;
using broker::e2e::temp_dir;

namespace {

// A README table cell or a --help default, in one comparable form:
// no backticks, quotes, brackets or spaces; "empty" is "".
std::string normalised(std::string v) {
  std::string out;
  for (char c : v)
    if (c != '`' && c != '"' && c != '[' && c != ']' && c != ' ')
      out += c;
  return out == "empty" ? "" : out;
}

std::vector<std::string> cells(const std::string& row) {
  std::vector<std::string> out;
  std::stringstream in{row};
  std::string cell;
  std::getline(in, cell, '|'); // before the first bar
  while (std::getline(in, cell, '|')) {
    auto b = cell.find_first_not_of(' ');
    auto e = cell.find_last_not_of(' ');
    out.push_back(b == std::string::npos ? "" : cell.substr(b, e - b + 1));
  }
  return out;
}

// "`--port P`" -> "port".
std::string option_name(const std::string& cell) {
  auto start = cell.find("--");
  auto end = cell.find_first_of(" `=[", start);
  return cell.substr(start + 2, end == std::string::npos ? std::string::npos : end - start - 2);
}

// The README's configuration table: option -> default cell.
std::map<std::string, std::string> readme_options() {
  std::ifstream in{std::string{BROKER_CONFIG_DIR} + "/../README.md"};
  REQUIRE(in);
  std::map<std::string, std::string> out;
  std::string line;
  bool in_section = false;
  while (std::getline(in, line)) {
    if (line.rfind("## ", 0) == 0)
      in_section = line == "## Configuration";
    if (in_section && line.rfind("| `--", 0) == 0) {
      auto c = cells(line);
      REQUIRE(c.size() >= 3);
      out[option_name(c[0])] = c[1];
    }
  }
  return out;
}

// What `brokerd ARGS` prints on stdout, which must end it with exit code 0.
std::string output_of(const std::vector<std::string>& args) {
  auto r = run_brokerd(args);
  std::string command = "brokerd";
  for (auto& a : args)
    command += " " + a;
  INFO(command << ": " << r.exit.describe() << "\n" << r.err);
  REQUIRE(r.exit.exited);
  REQUIRE(r.exit.code == 0);
  return r.out;
}

// `brokerd --help`: option -> default ("" where it shows none).
std::map<std::string, std::string> help_options() {
  std::map<std::string, std::string> out;
  std::stringstream in{output_of({"--help"})};
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("  --", 0) != 0)
      continue;
    auto d = line.rfind("(default: ");
    out[option_name(line)] = d == std::string::npos ? "" : line.substr(d + 10, line.size() - d - 11);
  }
  return out;
}

// `brokerd ARGS --print-config`: option -> value, in the file's syntax.
std::map<std::string, std::string> printed_config(std::vector<std::string> args) {
  args.push_back("--print-config");
  std::map<std::string, std::string> out;
  std::stringstream in{output_of(args)};
  std::string line;
  while (std::getline(in, line)) {
    auto eq = line.find('=');
    if (eq != std::string::npos && line[0] != ';')
      out[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return out;
}

std::string in_quotes(const std::string& s) { return "\"" + s + "\""; }

// A value that is not the default, for every option the README documents,
// and how --print-config shows it. An option added to the README without a
// value here fails the tests below by name.
struct sample {
  std::string value;
  std::string printed;
};

std::map<std::string, sample> samples(const std::string& dir) {
  std::string csv = dir + "/instruments.csv";
  return {
    {"port", {"0", "0"}},
    {"address", {"127.0.0.2", in_quotes("127.0.0.2")}},
    {"data-dir", {dir + "/data", in_quotes(dir + "/data")}},
    {"instruments", {csv, in_quotes(csv)}},
    {"indices", {"", in_quotes("")}},
    {"io-threads", {"1", "1"}},
    {"market-always-open", {"false", "false"}},
    {"market-holidays", {"2026-12-31,2027-01-26", "[\"2026-12-31\", \"2027-01-26\"]"}},
    {"kyc-delay-ms", {"5", "5"}},
    {"payment-fail-above", {"500.50", in_quotes("500.5")}},
    {"token-ttl-seconds", {"600", "600"}},
    {"admin-address", {"127.0.0.3", in_quotes("127.0.0.3")}},
    {"admin-port", {"0", "0"}},
    {"admin-token-ttl-seconds", {"60", "60"}},
    {"console-chart-slot-seconds", {"2", "2"}},
    {"password-cost", {"min", in_quotes("min")}},
    {"sqlite-sync-full", {"false", "false"}},
    {"database-url", {"postgresql://broker@127.0.0.1:1/broker", in_quotes("postgresql://broker@127.0.0.1:1/broker")}},
    {"database-wait-seconds", {"3", "3"}},
    {"store-retry-min-ms", {"50", "50"}},
    {"store-retry-max-ms", {"800", "800"}},
    {"persistence-nice", {"5", "5"}},
    {"lock-memory", {"true", "true"}},
    {"prefault-memory-mib", {"8", "8"}},
    {"seed", {"7", "7"}},
    {"quote-interval-ms", {"100", "100"}},
    {"conflation-ms", {"50", "50"}},
    {"ws-max-symbols", {"100", "100"}},
    {"ws-max-connections-per-user", {"3", "3"}},
    {"feed-ticks-per-second", {"100", "100"}},
    {"exchange", {"fix://127.0.0.1:9", in_quotes("fix://127.0.0.1:9")}},
    {"fix-sender-comp-id", {"BRK2", in_quotes("BRK2")}},
    {"fix-target-comp-id", {"EX2", in_quotes("EX2")}},
    {"fix-market-data-comp-id", {"EX2-MD", in_quotes("EX2-MD")}},
    {"fix-begin-string", {"FIX.4.2", in_quotes("FIX.4.2")}},
    {"stuck-order-check-ms", {"1000", "1000"}},
    {"stuck-order-after-ms", {"2000", "2000"}},
    {"brokerage-percent", {"0.05", in_quotes("0.05")}},
    {"brokerage-max", {"15.50", in_quotes("15.5")}},
    {"stt-percent", {"0.025", in_quotes("0.025")}},
    {"exchange-charges-percent", {"0.00345", in_quotes("0.00345")}},
    {"sebi-fees-percent", {"0.0002", in_quotes("0.0002")}},
    {"stamp-duty-percent", {"0.003", in_quotes("0.003")}},
    {"gst-percent", {"12", in_quotes("12")}},
    {"settlement-days", {"2", "2"}},
    {"cost-basis", {"LIFO", in_quotes("LIFO")}},
    {"long-term-after-days", {"730", "730"}},
    {"tax-year-start-month", {"1", "1"}},
  };
}

// Options that are actions or name the file itself, not settings.
const std::set<std::string> not_settings{"help", "print-config", "add-operator", "config"};

void write_instruments(const std::string& path) {
  std::ifstream in{std::string{BROKER_CONFIG_DIR} + "/instruments.csv"};
  std::ofstream out{path};
  std::string line;
  int instruments = -1; // the header row, then three instruments; comments as they come
  while (instruments < 3 && std::getline(in, line)) {
    out << line << "\n";
    if (line.rfind('#', 0) != 0)
      ++instruments;
  }
}

} // namespace

TEST_CASE("options: the README's table and --help list the same options with the same defaults",
          "[options]") {
  auto readme = readme_options();
  auto help = help_options();
  REQUIRE(readme.size() > 30);
  std::set<std::string> only_readme, only_help;
  for (auto& [name, d] : readme)
    if (!help.count(name))
      only_readme.insert(name);
  for (auto& [name, d] : help)
    if (!readme.count(name))
      only_help.insert(name);
  CHECK(only_readme.empty());
  CHECK(only_help.empty());
  for (auto& [name, readme_default] : readme) {
    if (!help.count(name) || readme_default.empty())
      continue;
    INFO("--" << name << ": README says " << readme_default << ", --help says " << help[name]);
    auto r = normalised(readme_default), h = normalised(help[name]);
    // Paths: --help shows the configuration directory in full.
    bool same = r == h || (r.find('/') != std::string::npos && h.size() > r.size()
                           && h.compare(h.size() - r.size() - 1, std::string::npos, "/" + r) == 0);
    CHECK(same);
  }
}

TEST_CASE("options: each takes a non-default value as --name=value, --name value and in the file",
          "[options]") {
  temp_dir dir{"brokerd-options"};
  auto values = samples(dir.path());
  auto defaults = printed_config({});
  for (auto& [name, d] : readme_options()) {
    if (not_settings.count(name))
      continue;
    INFO("--" << name);
    REQUIRE(values.count(name) == 1); // the test needs a non-default value for every documented option
    const auto& s = values.at(name);
    REQUIRE(defaults.count(name) == 1);
    CHECK(defaults.at(name) != s.printed);
    CHECK(printed_config({"--" + name + "=" + s.value})[name] == s.printed);
    CHECK(printed_config({"--" + name, s.value})[name] == s.printed);
    // The file, in the syntax --print-config prints; nothing else set there.
    std::string ini = dir.path() + "/" + name + ".ini";
    std::ofstream{ini} << "[global]\n" << name << "=" << s.printed << "\n";
    auto from_file = printed_config({"--config", ini});
    CHECK(from_file[name] == s.printed);
  }
}

TEST_CASE("options: booleans as --name, --no-name and --name true|false", "[options]") {
  for (std::string name : {"market-always-open", "sqlite-sync-full", "lock-memory"}) {
    INFO("--" << name);
    CHECK(printed_config({"--no-" + name})[name] == "false");
    CHECK(printed_config({"--no-" + name, "--" + name})[name] == "true");
    CHECK(printed_config({"--" + name, "false"})[name] == "false");
    CHECK(printed_config({"--" + name + "=false", "--" + name + "=true"})[name] == "true");
  }
  // A flag followed by an option, not a value, stays a flag.
  auto both = printed_config({"--no-lock-memory", "--market-always-open", "--seed", "9"});
  CHECK(both["market-always-open"] == "true");
  CHECK(both["seed"] == "9");
}

TEST_CASE("options: the command line wins over the file, CAF's settings pass through", "[options]") {
  temp_dir dir{"brokerd-options"};
  std::string ini = dir.path() + "/brokerd.ini";
  std::ofstream{ini} << "[global]\nseed=5\nconflation-ms=20\n[scheduler]\nmax-threads=3\n";
  auto c = printed_config({"--config", ini, "--seed", "6", "--scheduler.max-threads", "2"});
  CHECK(c["seed"] == "6");
  CHECK(c["conflation-ms"] == "20");
}

TEST_CASE("options: an unknown option or a bad value names the option, what it takes, and --help; exit 2",
          "[options]") {
  temp_dir dir{"brokerd-options"};
  struct refusal {
    std::vector<std::string> args;
    std::vector<std::string> said; // each must appear in stderr
  };
  std::string bad_ini = dir.path() + "/bad.ini";
  std::ofstream{bad_ini} << "[global]\nconflation-ms=0\n";
  std::string unknown_ini = dir.path() + "/unknown.ini";
  std::ofstream{unknown_ini} << "[global]\nconflation=5\n";
  std::vector<refusal> cases{
    {{"--bogus=1"}, {"unknown option --bogus", "--help"}},
    {{"--market-always-open=maybe"}, {"--market-always-open", "true or false", "--help"}},
    {{"--port", "70000"}, {"--port", "from 0 to 65535", "--help"}},
    {{"--conflation-ms=0"}, {"--conflation-ms", "at least 1", "--help"}},
    {{"--seed=-1"}, {"--seed", "whole number", "--help"}},
    {{"--tax-year-start-month", "13"}, {"--tax-year-start-month", "from 1 to 12"}},
    {{"--cost-basis=AVERAGE"}, {"--cost-basis", "FIFO or LIFO"}},
    {{"--exchange=fix://localhost"}, {"--exchange", "fix://HOST:PORT"}},
    {{"--password-cost=max"}, {"--password-cost", "interactive or min"}},
    {{"--brokerage-max=1.234"}, {"--brokerage-max", "two decimals"}},
    {{"--gst-percent=101"}, {"--gst-percent", "from 0 to 100"}},
    {{"--market-holidays=2026-02-30"}, {"--market-holidays", "YYYY-MM-DD"}},
    {{"--store-retry-min-ms=500", "--store-retry-max-ms=100"}, {"store-retry-max-ms", "store-retry-min-ms"}},
    {{"--seed"}, {"--seed needs a value", "--help"}},
    {{"stray"}, {"unexpected argument \"stray\"", "--help"}},
    {{"--config", dir.path() + "/missing.ini"}, {"--config", "does not exist"}},
    {{"--config", bad_ini}, {bad_ini, "conflation-ms", "at least 1", "--help"}},
    {{"--config", unknown_ini}, {"unknown option \"conflation\"", "--help"}},
    {{"--scheduler.bogus=1"}, {"scheduler.bogus", "--help"}},
  };
  for (const auto& c : cases) {
    auto r = run_brokerd(c.args);
    INFO(c.args.front() << " -> " << r.exit.describe() << ": " << r.err);
    CHECK(r.exit.exited);
    CHECK(r.exit.code == 2);
    CHECK(r.out.empty());
    for (const auto& s : c.said)
      CHECK(r.err.find(s) != std::string::npos);
  }
}

TEST_CASE("options: a file that does not load stops brokerd at once, naming the file", "[options]") {
  // An index over instruments the master lacks: refused before any actor
  // runs (once the actor system runs, an exception used to hang the exit).
  temp_dir dir{"brokerd-options"};
  std::string csv = dir.path() + "/instruments.csv";
  write_instruments(csv);
  auto r = run_brokerd({"--port", "0", "--data-dir", dir.path(), "--instruments", csv});
  INFO(r.exit.describe() << ": " << r.err);
  CHECK(r.exit.exited);
  CHECK(r.exit.code == 1);
  CHECK(r.err.find("indices.csv") != std::string::npos);
  CHECK(r.err.find("unknown symbol") != std::string::npos);
  CHECK(r.out.find("listening") == std::string::npos);
}

TEST_CASE("options: brokerd starts and serves with each option set to a non-default value", "[e2e][options]") {
  // On the PostgreSQL pass every start already has --database-url (the
  // harness adds it); there only the store's own options are started again.
  bool on_postgres = std::getenv("BROKER_E2E_DATABASE_URL") != nullptr;
  temp_dir scratch{"brokerd-options"};
  auto values = samples(scratch.path());
  write_instruments(values.at("instruments").value);
  for (auto& [name, d] : readme_options()) {
    if (not_settings.count(name))
      continue;
    bool store_option = name == "database-url" || name == "database-wait-seconds";
    if (store_option != on_postgres)
      continue;
    INFO("--" << name);
    temp_dir dir{"brokerd-options"};
    std::vector<std::string> args;
    std::string data_dir = dir.path();
    if (name == "data-dir") {
      data_dir = values.at(name).value; // the harness gives --data-dir itself
      std::filesystem::create_directories(data_dir);
    }
    else if (name != "database-url")   // the harness gives the server's own URL
      args.push_back("--" + name + "=" + values.at(name).value);
    if (name == "instruments")
      args.push_back("--indices="); // the shipped indices need instruments this file lacks
    brokerd_process b{data_dir, args};
    broker::testing::http_client http{b.host(), b.port()};
    CHECK(http.request("GET", "/v1/health").status == 200);
    // Where the effect shows from outside, look at it.
    if (name == "address")
      CHECK(b.host() == "127.0.0.2");
    if (name == "instruments")
      CHECK(http.request("GET", "/v1/stocks").body.find("\"total\":3") != std::string::npos);
    if (name == "indices")
      CHECK(http.request("GET", "/v1/market/indices").body == R"({"indices":[]})");
    if (name == "data-dir")
      CHECK(std::filesystem::exists(data_dir + "/broker.db"));
    if (name == "database-url")
      CHECK(!std::filesystem::exists(data_dir + "/broker.db"));
    auto stopped = b.stop();
    CHECK(stopped.exited);
    CHECK(stopped.code == 0);
  }
}
