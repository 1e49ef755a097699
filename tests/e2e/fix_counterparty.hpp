#pragma once
// Another trader on an exchange, over its own FIX session: a QuickFIX
// initiator the interoperability test uses to put the other side of a trade
// into QuickFIX's ordermatch example, which matches only orders it is sent.
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace broker::e2e {

class fix_counterparty {
public:
  // Logs on as `sender` to `target` at 127.0.0.1:port with `begin_string`;
  // throws std::runtime_error if no logon comes within `deadline`.
  fix_counterparty(uint16_t port, std::string begin_string, std::string sender, std::string target,
                   std::string store_dir, std::chrono::milliseconds deadline = std::chrono::seconds(10));
  ~fix_counterparty();
  fix_counterparty(const fix_counterparty&) = delete;
  fix_counterparty& operator=(const fix_counterparty&) = delete;

  // A DAY limit order; `side` is "1" (buy) or "2" (sell), `price` a decimal.
  void send_limit(const std::string& cl_ord_id, const std::string& symbol, const std::string& side,
                  int64_t quantity, const std::string& price);
  // Execution reports received so far.
  int reports() const;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace broker::e2e
