#include "sim/simulated_client.hpp"

#include <string_view>

namespace broker::sim {

namespace {

// The text of a string field "name":"..." in a frame we wrote ourselves
// (protocol/views.cpp): no escapes inside ids and statuses.
std::string_view string_field(std::string_view frame, std::string_view name) {
  std::string key = "\"" + std::string{name} + "\":\"";
  auto at = frame.find(key);
  if (at == std::string_view::npos)
    return {};
  auto from = at + key.size();
  auto to = frame.find('"', from);
  return to == std::string_view::npos ? std::string_view{} : frame.substr(from, to - from);
}

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

} // namespace

bool simulated_client::send_text(std::string frame) {
  if (closed)
    return false;
  if (slow_) {
    if (queued_ >= capacity)
      return false;
    ++queued_;
  }
  ++frames;
  std::string_view f{frame};
  if (starts_with(f, R"({"channel":"quotes")") && f.find(R"("type":"status")") == std::string_view::npos) {
    ++quote_frames;
    quote_frames_while_slow += slow_;
  } else if (starts_with(f, R"({"channel":"orders","type":"order")")) {
    auto id = string_field(f, "orderId");
    order_status[std::stoll(std::string{id})] = std::string{string_field(f, "status")};
  } else if (starts_with(f, R"({"channel":"orders","type":"resync")")) {
    resync_pending = true;
  } else if (starts_with(f, R"({"type":"subscribe","status":"ok","channel":"orders")")) {
    following_orders = true;
  } else if (starts_with(f, R"({"type":"error")")) {
    ++errors;
    last_error = frame;
  }
  return true;
}

void simulated_client::close(uint16_t code, std::string reason) {
  if (closed)
    return;
  closed = true;
  close_code = code;
  close_reason = std::move(reason);
}

void simulated_client::set_slow(bool slow) {
  slow_ = slow;
  // Full from the start: more than a session lets pile up before it stops
  // writing (session_options::max_queued_frames); a client reading again
  // has drained it.
  queued_ = slow ? capacity / 2 : 0;
}

} // namespace broker::sim
