#pragma once
// A WebSocket client as a simulation run holds it: the frame_sink its
// session actor writes to, keeping what the client would know. It follows
// the orders channel (the last status pushed of each order) and counts quote
// frames. Told to be slow, its socket queue is full: queued_frames() says so
// and, past `capacity`, a frame is refused (as the edge's bounded write queue
// refuses one), which is how a real slow reader looks to its session.
//
// One thread only (the deterministic scheduler's), so nothing is locked.
#include <cstdint>
#include <map>
#include <string>

#include "protocol/frames.hpp"
#include "protocol/types.hpp"

namespace broker::sim {

class simulated_client final : public frame_sink {
public:
  bool send_text(std::string frame) override;
  void close(uint16_t code, std::string reason) override;
  size_t queued_frames() const override { return queued_; }

  // The socket stops being read (queue full from now on), or reads again.
  void set_slow(bool slow);
  bool slow() const { return slow_; }

  static constexpr size_t capacity = 64; // frames the slow socket still takes

  bool closed = false;
  uint16_t close_code = 0;
  std::string close_reason;
  bool following_orders = false; // the orders channel's subscribe was acknowledged
  timestamp following_since = 0; // set by the run when it sees the ack
  uint64_t frames = 0, quote_frames = 0, quote_frames_while_slow = 0, errors = 0;
  std::map<order_id, std::string> order_status; // the last pushed, by order
  bool resync_pending = false; // told pushes may have been missed: fetch the orders again
  std::string last_error;

private:
  bool slow_ = false;
  size_t queued_ = 0;
};

} // namespace broker::sim
