#pragma once
// How many WebSocket connections each user has signed in on, node-wide, so a
// user can be held to a limit. Sessions take a place when they authenticate
// and give it back when they end; thread-safe (sessions run on any worker).
#include <cstddef>
#include <mutex>
#include <unordered_map>

#include "protocol/types.hpp"

namespace broker {

class connection_count {
public:
  explicit connection_count(size_t per_user) : per_user_(per_user) {}
  // False (and nothing taken) when the user already has per_user connections.
  bool take(user_id u) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto& n = counts_[u];
    if (n >= per_user_)
      return false;
    ++n;
    return true;
  }
  void give_back(user_id u) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = counts_.find(u);
    if (it != counts_.end() && --it->second == 0)
      counts_.erase(it);
  }
  size_t per_user() const { return per_user_; }

private:
  const size_t per_user_;
  std::mutex mutex_;
  std::unordered_map<user_id, size_t> counts_;
};

} // namespace broker
