#include "sim/admin_port.hpp"

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace broker::sim {

admin_port::admin_port(uint16_t port, std::function<std::string(const std::string&)> handle)
  : handle_(std::move(handle)) {
  listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int yes = 1;
  ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  if (listener_ < 0 || ::bind(listener_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0
      || ::listen(listener_, 4) != 0) {
    std::string why = std::strerror(errno);
    if (listener_ >= 0)
      ::close(listener_);
    throw std::runtime_error("admin port " + std::to_string(port) + ": " + why);
  }
  socklen_t len = sizeof a;
  ::getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &len);
  port_ = ntohs(a.sin_port);
  thread_ = std::thread([this] { serve(); });
}

admin_port::~admin_port() {
  stopping_ = true;
  ::shutdown(listener_, SHUT_RDWR);
  thread_.join();
  ::close(listener_);
}

void admin_port::serve() {
  while (!stopping_) {
    pollfd p{listener_, POLLIN, 0};
    if (::poll(&p, 1, 200) <= 0)
      continue; // a timeout, to see stopping_
    int c = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0)
      continue;
    std::string buffered;
    char chunk[1024];
    for (;;) {
      pollfd q{c, POLLIN, 0};
      int r = ::poll(&q, 1, 200);
      if (stopping_)
        break;
      if (r == 0)
        continue;
      ssize_t n = ::read(c, chunk, sizeof chunk);
      if (n <= 0)
        break;
      buffered.append(chunk, static_cast<size_t>(n));
      for (auto nl = buffered.find('\n'); nl != std::string::npos; nl = buffered.find('\n')) {
        std::string line = buffered.substr(0, nl);
        buffered.erase(0, nl + 1);
        if (!line.empty() && line.back() == '\r')
          line.pop_back();
        std::string answer = handle_(line) + "\n";
        if (::write(c, answer.data(), answer.size()) < 0)
          break;
      }
    }
    ::close(c);
  }
}

} // namespace broker::sim
