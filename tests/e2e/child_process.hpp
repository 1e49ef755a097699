#pragma once
// A program run as a child process for end-to-end tests: started with its
// stdout on a pipe and its stderr appended to a file, and waited for until it
// prints a line starting with `ready_prefix` (poll() with a deadline, no
// sleeps). stop() is SIGTERM + waitpid, kill9() is SIGKILL + waitpid; the
// destructor stops a child still running. The child gets
// PR_SET_PDEATHSIG=SIGKILL, so a crashed test run leaves none behind.
#include <chrono>
#include <string>
#include <vector>

#include <sys/types.h>

namespace broker::e2e {

class temp_dir {
public:
  explicit temp_dir(const std::string& prefix = "brokerd-e2e");
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  const std::string& path() const { return path_; }

private:
  std::string path_;
};

// How a child process ended.
struct exit_info {
  bool exited = false;   // WIFEXITED
  int code = -1;         // WEXITSTATUS when exited
  bool signaled = false; // WIFSIGNALED
  int signal = 0;        // WTERMSIG when signaled
  std::string describe() const;
};

class child_process {
public:
  // Throws std::runtime_error (with the child's output) if no ready line
  // comes within `deadline` or the child exits first.
  // `stdin_pipe`: the child's stdin is a pipe kept open while it runs
  // (else /dev/null).
  child_process(std::vector<std::string> argv, std::string stderr_path, std::string ready_prefix,
                std::chrono::milliseconds deadline, bool stdin_pipe = false);
  ~child_process();
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0; }
  const std::string& ready_line() const { return ready_line_; }
  // SIGTERM, then waits (bounded by `deadline`; after that SIGKILL) for the
  // child to end. A no-op returning the last result once reaped.
  exit_info stop(std::chrono::milliseconds deadline = std::chrono::seconds(30));
  exit_info kill9();
  // Waits (bounded) for the child to end by itself; describe() says "did
  // not end" if it is still running.
  exit_info wait(std::chrono::milliseconds deadline) { return reap(deadline); }
  // What the child wrote to stdout before the ready line; after it (read
  // once it has ended); its stderr file so far.
  const std::string& before_ready() const { return before_ready_; }
  const std::string& stdout_tail() const { return stdout_tail_; }
  std::string stderr_text() const;
  const std::string& stderr_path() const { return stderr_path_; }
  // Throws std::runtime_error saying `why`, with the child's output; kills it.
  [[noreturn]] void fail(const std::string& why);

private:
  exit_info reap(std::chrono::milliseconds deadline);
  void drain_stdout();

  std::string name_; // argv[0]'s file name, for messages
  std::string stderr_path_;
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  int stdin_fd_ = -1;
  std::string ready_line_;
  std::string before_ready_;
  std::string stdout_tail_;
  exit_info last_exit_;
};

// A program run to its end with `argv` (argv[0] the path), its stdout and
// stderr captured; past `deadline` it is killed.
struct command_output {
  exit_info exit;
  std::string out;
  std::string err;
};
command_output run_to_exit(std::vector<std::string> argv,
                           std::chrono::milliseconds deadline = std::chrono::seconds(30));

} // namespace broker::e2e
