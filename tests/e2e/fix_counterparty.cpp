#include "tests/e2e/fix_counterparty.hpp"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <sstream>
#include <stdexcept>

#include "protocol/quickfix.hpp"

namespace broker::e2e {

struct fix_counterparty::impl final : FIX::Application {
  std::mutex m;
  std::condition_variable cv;
  bool logged_on = false;
  std::atomic<int> reports{0};
  FIX::SessionID session;
  std::unique_ptr<FIX::SessionSettings> settings;
  std::unique_ptr<FIX::FileStoreFactory> store;
  std::unique_ptr<FIX::SocketInitiator> initiator;

  void onCreate(const FIX::SessionID&) override {}
  void onLogon(const FIX::SessionID&) override {
    std::lock_guard<std::mutex> lock(m);
    logged_on = true;
    cv.notify_all();
  }
  void onLogout(const FIX::SessionID&) override {}
  void toAdmin(FIX::Message&, const FIX::SessionID&) override {}
  void toApp(FIX::Message&, const FIX::SessionID&) override {}
  void fromAdmin(const FIX::Message&, const FIX::SessionID&) override {}
  void fromApp(const FIX::Message& msg, const FIX::SessionID&) override {
    if (msg.getHeader().getField(35) == "8")
      ++reports;
  }
};

fix_counterparty::fix_counterparty(uint16_t port, std::string begin_string, std::string sender, std::string target,
                                   std::string store_dir, std::chrono::milliseconds deadline)
  : impl_(std::make_unique<impl>()) {
  std::ostringstream s;
  s << "[DEFAULT]\nConnectionType=initiator\nSocketConnectHost=127.0.0.1\nSocketConnectPort=" << port
    << "\nHeartBtInt=5\nReconnectInterval=1\nNonStopSession=Y\nStartTime=00:00:00\nEndTime=00:00:00\n"
    << "UseDataDictionary=N\nFileStorePath=" << store_dir << "\n[SESSION]\nBeginString=" << begin_string
    << "\nSenderCompID=" << sender << "\nTargetCompID=" << target << "\n";
  std::istringstream text{s.str()};
  impl_->session = FIX::SessionID{begin_string, sender, target};
  impl_->settings = std::make_unique<FIX::SessionSettings>(text);
  impl_->store = std::make_unique<FIX::FileStoreFactory>(*impl_->settings);
  impl_->initiator = std::make_unique<FIX::SocketInitiator>(*impl_, *impl_->store, *impl_->settings);
  impl_->initiator->start();
  std::unique_lock<std::mutex> lock(impl_->m);
  if (!impl_->cv.wait_for(lock, deadline, [&] { return impl_->logged_on; }))
    throw std::runtime_error("fix_counterparty: no logon from port " + std::to_string(port));
}

fix_counterparty::~fix_counterparty() { impl_->initiator->stop(true); }

void fix_counterparty::send_limit(const std::string& cl_ord_id, const std::string& symbol, const std::string& side,
                                  int64_t quantity, const std::string& price) {
  FIX::Message m;
  m.getHeader().setField(35, "D");
  m.setField(11, cl_ord_id);
  m.setField(21, "1");
  m.setField(55, symbol);
  m.setField(54, side);
  m.setField(60, "20260101-00:00:00.000");
  m.setField(38, std::to_string(quantity));
  m.setField(40, "2");
  m.setField(44, price);
  m.setField(59, "0");
  FIX::Session::sendToTarget(m, impl_->session);
}

int fix_counterparty::reports() const { return impl_->reports.load(); }

} // namespace broker::e2e
