#pragma once
// The boundary between a WebSocket connection (edge/) and its session actor
// (actors/): text in through frame_handler, text out through frame_sink.
// Neither side sees the other's library.
#include <cstddef>
#include <cstdint>
#include <string>

namespace broker {

// Outbound: thread-safe, callable after the connection closed (does nothing then).
class frame_sink {
public:
  virtual ~frame_sink() = default;
  // false when the frame was dropped: connection closed or outbound queue full.
  virtual bool send_text(std::string frame) = 0;
  virtual void close(uint16_t code, std::string reason) = 0;
  // Frames queued and not yet written to the socket: how far behind the client is.
  virtual size_t queued_frames() const = 0;
};

// Inbound: called in order, one at a time, for one connection.
class frame_handler {
public:
  virtual ~frame_handler() = default;
  virtual void on_text(std::string frame) = 0;
  virtual void on_binary(std::string frame) = 0;
  virtual void on_closed() = 0; // exactly once
};

// WebSocket close codes the broker uses.
constexpr uint16_t close_normal = 1000;
constexpr uint16_t close_policy_violation = 1008;
constexpr uint16_t close_try_again_later = 1013;

} // namespace broker
