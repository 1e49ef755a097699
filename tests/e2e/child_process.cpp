#include "tests/e2e/child_process.hpp"

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <fcntl.h>
#include <poll.h>
#include <sys/syscall.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>



namespace broker::e2e {

namespace {

using clock_type = std::chrono::steady_clock;

int remaining_ms(clock_type::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now()).count();
  return left <= 0 ? 0 : static_cast<int>(std::min<long long>(left, 1'000'000));
}

std::string errno_text(const char* what) {
  return std::string{what} + ": " + std::strerror(errno);
}

exit_info decode(int status) {
  exit_info e;
  if (WIFEXITED(status)) {
    e.exited = true;
    e.code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    e.signaled = true;
    e.signal = WTERMSIG(status);
  }
  return e;
}

void close_fd(int& fd) {
  if (fd >= 0)
    ::close(fd);
  fd = -1;
}

} // namespace

std::string exit_info::describe() const {
  if (exited)
    return "exited with code " + std::to_string(code);
  if (signaled)
    return std::string{"killed by signal "} + std::to_string(signal) + " (" + strsignal(signal) + ")";
  return "did not end";
}

// --- temp_dir ----------------------------------------------------------------

temp_dir::temp_dir(const std::string& prefix) {
  const char* base = std::getenv("TMPDIR");
  std::string templ = std::string{base && *base ? base : "/tmp"} + "/" + prefix + "-XXXXXX";
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  if (!::mkdtemp(buf.data()))
    throw std::runtime_error(errno_text("mkdtemp"));
  path_ = buf.data();
}

temp_dir::~temp_dir() {
  if (std::getenv("BROKER_E2E_KEEP")) {
    std::cerr << "[e2e] keeping " << path_ << "\n";
    return;
  }
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}


// --- child_process -------------------------------------------------------------

child_process::child_process(std::vector<std::string> args, std::string stderr_path, std::string ready_prefix,
                             std::chrono::milliseconds startup_deadline, bool stdin_pipe)
  : name_(std::filesystem::path(args.at(0)).filename().string()), stderr_path_(std::move(stderr_path)) {
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);

  // Everything the child needs is prepared before fork(): after it, only
  // async-signal-safe calls.
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0)
    throw std::runtime_error(errno_text("pipe2"));
  const std::string& err_path = stderr_path_;
  int err_fd = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  // stdin: /dev/null, or a pipe held open until the child ends (for a
  // program that reads commands from it and would spin on EOF).
  int in[2] = {-1, -1};
  if (stdin_pipe && ::pipe2(in, O_CLOEXEC) != 0)
    throw std::runtime_error(errno_text("pipe2"));
  int null_fd = stdin_pipe ? in[0] : ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (err_fd < 0 || null_fd < 0) {
    auto msg = errno_text(("open " + err_path).c_str());
    ::close(out[0]);
    ::close(out[1]);
    if (err_fd >= 0) ::close(err_fd);
    if (null_fd >= 0) ::close(null_fd);
    throw std::runtime_error(msg);
  }
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) {
    auto msg = errno_text("fork");
    ::close(out[0]);
    ::close(out[1]);
    ::close(err_fd);
    ::close(null_fd);
    throw std::runtime_error(msg);
  }
  if (pid == 0) {
    // Child. Die with the test process rather than outlive it.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent)
      ::_exit(126);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGPIPE, SIG_DFL);
    if (::dup2(null_fd, 0) < 0 || ::dup2(out[1], 1) < 0 || ::dup2(err_fd, 2) < 0)
      ::_exit(125);
    ::execv(argv[0], argv.data());
    const char msg[] = "child_process: execv failed\n";
    ssize_t ignored = ::write(2, msg, sizeof msg - 1);
    (void)ignored;
    ::_exit(127);
  }
  pid_ = pid;
  ::close(out[1]);
  ::close(err_fd);
  ::close(null_fd);
  stdout_fd_ = out[0];
  stdin_fd_ = in[1];


  auto deadline = clock_type::now() + startup_deadline;
  std::string buffered;
  for (;;) {
    auto nl = buffered.find('\n');
    while (nl != std::string::npos) {
      std::string line = buffered.substr(0, nl);
      buffered.erase(0, nl + 1);
      if (line.rfind(ready_prefix, 0) == 0) {
        ready_line_ = line;
        stdout_tail_ = buffered;
        return;
      }
      before_ready_ += line + "\n";
      nl = buffered.find('\n');
    }
    int wait_ms = remaining_ms(deadline);
    if (wait_ms == 0)
      fail("did not print \"" + ready_prefix + "\" within " + std::to_string(startup_deadline.count()) + " ms");
    pollfd p{stdout_fd_, POLLIN, 0};
    int r = ::poll(&p, 1, wait_ms);
    if (r < 0) {
      if (errno == EINTR)
        continue;
      fail(errno_text("poll"));
    }
    if (r == 0)
      continue; // the deadline check above ends the loop
    char chunk[4096];
    ssize_t n = ::read(stdout_fd_, chunk, sizeof chunk);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN)
        continue;
      fail(errno_text("read stdout"));
    }
    if (n == 0) {
      // EOF: the child is gone (or closed stdout) before it was ready.
      before_ready_ += buffered;
      auto how = reap(std::chrono::seconds(10));
      fail("exited before it was ready: " + how.describe());
    }
    buffered.append(chunk, static_cast<size_t>(n));
  }
}

child_process::~child_process() {
  try {
    if (pid_ > 0)
      stop();
  } catch (...) {
  }
  close_fd(stdout_fd_);
  close_fd(stdin_fd_);
}

void child_process::fail(const std::string& why) {
  if (pid_ > 0)
    kill9();
  close_fd(stdout_fd_);
  throw std::runtime_error(name_ + " " + why + "\n--- stdout ---\n" + before_ready_ + stdout_tail_
                           + "\n--- stderr ---\n" + stderr_text());
}

exit_info child_process::reap(std::chrono::milliseconds deadline) {
  if (pid_ <= 0)
    return last_exit_;
  int status = 0;
  bool reaped = false;
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0)); // -1 (ENOSYS) on old kernels
  if (pidfd >= 0) {
    pollfd p{pidfd, POLLIN, 0};
    auto until = clock_type::now() + deadline;
    for (;;) {
      int r = ::poll(&p, 1, remaining_ms(until));
      if (r < 0 && errno == EINTR)
        continue;
      break;
    }
    ::close(pidfd);
    pid_t w = ::waitpid(pid_, &status, WNOHANG);
    reaped = w == pid_;
  } else {
    // No pidfd: a bounded WNOHANG loop with a short backoff.
    auto until = clock_type::now() + deadline;
    auto pause = std::chrono::milliseconds(1);
    for (;;) {
      pid_t w = ::waitpid(pid_, &status, WNOHANG);
      if (w == pid_) {
        reaped = true;
        break;
      }
      if (w < 0 || clock_type::now() >= until)
        break;
      std::this_thread::sleep_for(pause);
      pause = std::min(pause * 2, std::chrono::milliseconds(50));
    }
  }
  if (!reaped) {
    exit_info e; // still running
    return e;
  }
  pid_ = -1;
  last_exit_ = decode(status);
  drain_stdout();
  return last_exit_;
}

void child_process::drain_stdout() {
  if (stdout_fd_ < 0)
    return;
  // The child is gone: read what is left until EOF (bounded, in case some
  // other process still holds the pipe's write end).
  auto until = clock_type::now() + std::chrono::seconds(2);
  for (;;) {
    pollfd p{stdout_fd_, POLLIN, 0};
    int r = ::poll(&p, 1, remaining_ms(until));
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      break;
    char chunk[4096];
    ssize_t n = ::read(stdout_fd_, chunk, sizeof chunk);
    if (n <= 0)
      break;
    stdout_tail_.append(chunk, static_cast<size_t>(n));
  }
  close_fd(stdout_fd_);
}

exit_info child_process::stop(std::chrono::milliseconds deadline) {
  if (pid_ <= 0)
    return last_exit_;
  ::kill(pid_, SIGTERM);
  auto e = reap(deadline);
  if (pid_ > 0) {
    std::cerr << "[e2e] " << name_ << " " << pid_ << " ignored SIGTERM for " << deadline.count()
              << " ms; sending SIGKILL\n";
    kill9();
    exit_info hung; // report the hang, not the SIGKILL
    last_exit_ = hung;
    return hung;
  }
  return e;
}

exit_info child_process::kill9() {
  if (pid_ <= 0)
    return last_exit_;
  ::kill(pid_, SIGKILL);
  for (;;) {
    int status = 0;
    pid_t w = ::waitpid(pid_, &status, 0);
    if (w < 0 && errno == EINTR)
      continue;
    if (w == pid_)
      last_exit_ = decode(status);
    break;
  }
  pid_ = -1;
  drain_stdout();
  return last_exit_;
}

std::string child_process::stderr_text() const {
  std::ifstream in{stderr_path_, std::ios::binary};
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// --- run_to_exit ----------------------------------------------------------------

command_output run_to_exit(std::vector<std::string> all, std::chrono::milliseconds deadline) {
  std::vector<char*> argv;
  for (auto& a : all)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) != 0)
    throw std::runtime_error(errno_text("pipe2"));
  if (::pipe2(err, O_CLOEXEC) != 0) {
    ::close(out[0]);
    ::close(out[1]);
    throw std::runtime_error(errno_text("pipe2"));
  }
  pid_t pid = ::fork();
  if (pid < 0)
    throw std::runtime_error(errno_text("fork"));
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    if (::dup2(out[1], 1) < 0 || ::dup2(err[1], 2) < 0)
      ::_exit(125);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(out[1]);
  ::close(err[1]);
  command_output result;
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  std::string* into[2] = {&result.out, &result.err};
  auto until = clock_type::now() + deadline;
  int open_pipes = 2;
  while (open_pipes > 0) {
    int wait_ms = remaining_ms(until);
    if (wait_ms == 0) {
      ::kill(pid, SIGKILL);
      break;
    }
    int r = ::poll(fds, 2, wait_ms);
    if (r < 0 && errno != EINTR)
      break;
    for (int i = 0; i < 2 && r > 0; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0)
        continue;
      char chunk[4096];
      ssize_t n = ::read(fds[i].fd, chunk, sizeof chunk);
      if (n > 0) {
        into[i]->append(chunk, static_cast<size_t>(n));
      } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_pipes;
      }
    }
  }
  for (auto& f : fds)
    if (f.fd >= 0)
      ::close(f.fd);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit = decode(status);
  return result;
}

} // namespace broker::e2e
