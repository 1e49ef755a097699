#pragma once
// Reads a JSON object's top-level fields with simdjson. Numbers are kept as
// their raw text so money can be parsed exactly (parse_decimal), never via a
// double. Nested objects are validated but only their kind is kept; arrays
// keep their elements when all are strings (channel and symbol lists).
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace broker {

struct json_field {
  enum class kind { string, number, boolean, null, object, array };
  kind type = kind::null;
  std::string text;                 // string value, raw number token, "true"/"false"
  std::vector<std::string> strings; // array elements, when every element is a string
  bool array_of_strings = false;
};

class json_object {
public:
  // nullopt when `body` is not valid JSON or not an object; `error` says why.
  static std::optional<json_object> parse(std::string_view body, std::string* error);
  const json_field* find(std::string_view name) const;
  const std::vector<std::pair<std::string, json_field>>& fields() const { return fields_; }

private:
  std::vector<std::pair<std::string, json_field>> fields_;
};

} // namespace broker
