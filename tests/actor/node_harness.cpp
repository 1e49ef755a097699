#include "tests/actor/node_harness.hpp"

namespace broker::testing {

namespace {

sim::deterministic_node_options with_probe(const node_harness::options& o) {
  sim::deterministic_node_options d;
  d.instruments_csv = BROKER_CONFIG_DIR "/instruments.csv";
  d.kyc_delay = o.kyc_delay;
  d.market_maker = o.market_maker;
  d.always_open = o.always_open;
  d.probe = std::make_shared<recording_probe>();
  d.commit_times = std::make_shared<commit_timings>();
  return d;
}

} // namespace

node_harness::node_harness(std::filesystem::path dir, options o)
  : deterministic_node(std::move(dir), with_probe(o)),
    commit_times(settings().commit_times),
    probe(std::static_pointer_cast<recording_probe>(settings().probe)) {}

} // namespace broker::testing
