#include "protocol/watchlists.hpp"

namespace broker {

std::string join_symbols(const std::vector<std::string>& symbols) {
  std::string out;
  for (auto& s : symbols) {
    if (!out.empty())
      out += ',';
    out += s;
  }
  return out;
}

std::vector<std::string> split_symbols(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos)
      comma = text.size();
    if (comma > start)
      out.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

} // namespace broker
