#pragma once
// Runs the real brokerd binary as a child process for end-to-end tests.
//
//  * temp_dir (tests/e2e/child_process.hpp): a fresh directory from mkdtemp,
//    removed (recursively) when the object goes away.
//  * brokerd_process: starts `brokerd --port 0 --admin-port 0 --data-dir <dir> --password-cost
//    min <extra...>`, reads its stdout (poll() with a deadline, no sleeps) until
//    "brokerd listening on http://127.0.0.1:<PORT> (data in <dir>)" and
//    exposes the port. The child's stderr is appended to <dir>/brokerd.stderr
//    (stderr_text() reads it back, for failure messages). stop() is SIGTERM +
//    waitpid, kill9() is SIGKILL + waitpid; the destructor stops a child that
//    is still running. The child also gets PR_SET_PDEATHSIG=SIGKILL so a
//    crashed test run does not leave brokerd processes behind.
//    With BROKER_E2E_DATABASE_URL set (a PostgreSQL server URL), it also gets
//    --database-url: a database of the data dir's own, so the same suite runs
//    on both backends (ctest runs it twice).
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tests/e2e/child_process.hpp"

namespace broker::e2e {

class brokerd_process {
public:
  // Throws std::runtime_error (with the child's stderr) if brokerd does not
  // print its listening line within `startup_deadline` or exits first.
  explicit brokerd_process(std::string data_dir, std::vector<std::string> extra_args = {},
                           std::chrono::milliseconds startup_deadline = std::chrono::seconds(60));
  ~brokerd_process();
  brokerd_process(const brokerd_process&) = delete;
  brokerd_process& operator=(const brokerd_process&) = delete;

  uint16_t port() const { return port_; }
  uint16_t admin_port() const { return admin_port_; } // the operator console's; 0: none

  const std::string& host() const { return host_; } // as the listening line gave it
  pid_t pid() const { return child_->pid(); }
  bool running() const { return child_->running(); }
  const std::string& data_dir() const { return data_dir_; }
  // The --database-url it was given (see BROKER_E2E_DATABASE_URL); empty on SQLite.
  const std::string& database_url() const { return database_url_; }
  const std::string& listening_line() const { return child_->ready_line(); }

  // SIGTERM, then waits (bounded by `deadline`; after that SIGKILL) for the
  // child to end. Returns how it ended. No-op returning the last result if the
  // child was already reaped.
  exit_info stop(std::chrono::milliseconds deadline = std::chrono::seconds(30)) { return child_->stop(deadline); }
  // SIGKILL and waitpid.
  exit_info kill9() { return child_->kill9(); }

  // Everything the child wrote to stdout after the listening line (read when
  // it is stopped), and its stderr file so far.
  const std::string& stdout_tail() const { return child_->stdout_tail(); }
  std::string stderr_text() const { return child_->stderr_text(); }
  std::string stderr_path() const { return data_dir_ + "/brokerd.stderr"; }

private:
  std::string data_dir_;
  std::string database_url_;
  uint16_t port_ = 0;
  uint16_t admin_port_ = 0;
  std::string host_;
  std::unique_ptr<child_process> child_;
};

// A brokerd run to its end with exactly `args` (no --port or --data-dir
// added): for --help, --print-config and refused options. Past `deadline`
// it is killed.
command_output run_brokerd(const std::vector<std::string>& args,
                           std::chrono::milliseconds deadline = std::chrono::seconds(30));

} // namespace broker::e2e
