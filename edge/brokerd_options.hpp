#pragma once
// brokerd's options: one table, read from the configuration file
// (config/brokerd.ini) and then from the command line, with one meaning in
// both. On the command line an option is `--name=value` or `--name value`; a
// boolean is `--name` (true), `--name=true|false`, `--name true|false` or
// `--no-name`. A name with a dot (`--scheduler.max-threads=2`) is CAF's own
// setting and is handed to CAF untouched, as are the file's sections.
//
// Every value is checked here, whichever source it came from: a bad one is an
// error naming the option and what it accepts, never a silent clamp.
#include <cstdint>
#include <string>
#include <vector>

#include "protocol/fees.hpp"
#include "protocol/lots.hpp"
#include "protocol/types.hpp"

namespace broker::edge {

// NSE equity delivery: brokerage 0.03% up to Rs 20, STT 0.1%, exchange
// 0.00297%, SEBI 0.0001%, stamp duty 0.015% on buys, GST 18%.
inline fee_schedule nse_equity_delivery_fees() {
  fee_schedule f;
  f.brokerage_rate = 30'000;
  f.brokerage_max = 2'000;
  f.stt_rate = 100'000;
  f.exchange_rate = 2'970;
  f.sebi_rate = 100;
  f.stamp_rate = 15'000;
  f.gst_rate = 18'000'000;
  return f;
}

// What brokerd runs with. The initialisers are the built-in defaults; the
// shipped config/brokerd.ini states the same values.
struct brokerd_settings {
  std::string config_file; // the file read before the command line ("": none)
  uint16_t port = 8080;
  std::string address = "127.0.0.1";
  std::string data_dir = "data";
  std::string instruments; // set from the config directory
  std::string indices;     // likewise; "" = no indices
  int io_threads = 2;
  bool market_always_open = true;
  std::vector<std::string> market_holidays; // YYYY-MM-DD, local dates
  size_t kyc_delay_ms = 0;
  money payment_fail_above = 0;
  size_t token_ttl_seconds = 86400;
  // The operator console's own listener (edge/admin_api.hpp); "" for the
  // address: none.
  std::string admin_address = "127.0.0.1";
  uint16_t admin_port = 8081;
  size_t admin_token_ttl_seconds = 900;
  int console_chart_slot_seconds = 10;
  bool password_cost_minimum = false; // "min": libsodium's floor, for tests
  bool sqlite_sync_full = true;
  std::string database_url;
  size_t database_wait_seconds = 30;
  size_t store_retry_min_ms = 100;
  size_t store_retry_max_ms = 5000;
  int persistence_nice = 0;
  bool lock_memory = false;
  size_t prefault_memory_mib = 0;
  uint64_t seed = 42;
  size_t quote_interval_ms = 250;
  size_t conflation_ms = 100;
  size_t ws_max_symbols = 3000;
  size_t ws_max_connections_per_user = 10;
  size_t feed_ticks_per_second = 0;
  // The exchange link: the in-process simulated exchange, or FIX 4.4 to
  // sim-exchange (or any acceptor) at fix_host:fix_port.
  bool exchange_is_fix = false;
  std::string fix_host;
  uint16_t fix_port = 0;
  std::string fix_sender_comp_id = "BROKER";
  std::string fix_target_comp_id = "SIMEX";
  std::string fix_market_data_comp_id = "SIMEX-MD";
  std::string fix_begin_string = "FIX.4.4";
  size_t stuck_order_check_ms = 5000;
  size_t stuck_order_after_ms = 10000;
  fee_schedule fees = nse_equity_delivery_fees();
  size_t settlement_days = 1;
  cost_basis_method cost_basis = cost_basis_method::fifo;
  size_t long_term_after_days = 365;
  size_t tax_year_start_month = 4;
};

struct brokerd_invocation {
  enum class action { run, help, print_config, add_operator };
  action what = action::run;
  std::string operator_name; // add_operator: whose account to create
  brokerd_settings settings;
  // The settings in effect before the command line: built-in defaults, then
  // the file. `--help` shows these as the defaults.
  brokerd_settings defaults;
  // CAF's own settings from the command line, as --name=value, for
  // caf::actor_system_config::parse (which also reads the file's sections).
  std::vector<std::string> caf_arguments;
  // Set when an option or value is refused: print it and exit 2.
  std::string error;
};

// Reads `settings.config_file` (default: `config_dir`/brokerd.ini, or
// `--config F`), then `args` (argv without the program name).
brokerd_invocation read_brokerd_options(const std::vector<std::string>& args,
                                        const std::string& config_dir);

// Every option with its placeholder, meaning and default.
std::string brokerd_help(const brokerd_settings& defaults);

// Every option as `name=value` in the file's syntax, one per line: what
// `--print-config` prints, and what a config file may be seeded from.
std::string brokerd_config_text(const brokerd_settings& settings);

} // namespace broker::edge
