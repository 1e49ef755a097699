#pragma once
// A line-oriented admin port on 127.0.0.1, for operators and tests: each line
// received is a command, answered by one line from `handle`. One connection
// at a time is enough for its users (an operator, a test); a plain thread, no
// actors. `nc 127.0.0.1 PORT` is a client.
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>

namespace broker::sim {

class admin_port {
public:
  // Listens on 127.0.0.1:port (0 picks one; port() says which) and serves
  // until destroyed. Throws std::runtime_error if it cannot listen.
  admin_port(uint16_t port, std::function<std::string(const std::string&)> handle);
  ~admin_port();
  admin_port(const admin_port&) = delete;
  admin_port& operator=(const admin_port&) = delete;
  uint16_t port() const { return port_; }

private:
  void serve();
  int listener_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::function<std::string(const std::string&)> handle_;
  std::thread thread_;
};

} // namespace broker::sim
