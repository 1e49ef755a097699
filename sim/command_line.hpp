#pragma once
// The "--name=value" / "--name value" reading shared by sim's own programs
// (sim-exchange, broker-sim); brokerd has its own table (edge/brokerd_options).
#include <string>
#include <variant>

namespace broker::sim {

struct cli_option {
  std::string name; // without the dashes
  std::string value;
};

// argv[i] as an option and its value; a value given separately moves `i`
// past it. An error says what is wrong, for the program's usage message.
inline std::variant<cli_option, std::string> read_option(int argc, char** argv, int& i) {
  std::string a = argv[i];
  if (a.rfind("--", 0) != 0)
    return "unexpected argument \"" + a + "\"";
  cli_option o{a.substr(2), {}};
  if (auto eq = o.name.find('='); eq != std::string::npos) {
    o.value = o.name.substr(eq + 1);
    o.name = o.name.substr(0, eq);
  } else if (i + 1 < argc) {
    o.value = argv[++i];
  } else {
    return "--" + o.name + " needs a value";
  }
  return o;
}

} // namespace broker::sim
