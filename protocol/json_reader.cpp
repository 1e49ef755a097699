#include "protocol/json_reader.hpp"

#include <simdjson.h>

namespace broker {

namespace {

std::string_view trim_right(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\r' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

} // namespace

std::optional<json_object> json_object::parse(std::string_view body, std::string* error) {
  auto fail = [&](const char* why) -> std::optional<json_object> {
    if (error)
      *error = why;
    return std::nullopt;
  };
  simdjson::padded_string padded{body};
  // Pass 1, DOM: validates the whole document, nested values included.
  {
    simdjson::dom::parser dom;
    simdjson::dom::element root;
    if (dom.parse(padded).get(root) != simdjson::SUCCESS)
      return fail("body is not valid JSON");
    if (!root.is_object())
      return fail("body must be a JSON object");
  }
  // Pass 2, On-Demand: the same document, reading numbers as raw tokens.
  simdjson::ondemand::parser parser;
  simdjson::ondemand::document doc;
  simdjson::ondemand::object obj;
  if (parser.iterate(padded).get(doc) != simdjson::SUCCESS || doc.get_object().get(obj) != simdjson::SUCCESS)
    return fail("body is not valid JSON");
  json_object out;
  for (auto entry : obj) {
    std::string_view key;
    simdjson::ondemand::value val;
    if (entry.unescaped_key().get(key) != simdjson::SUCCESS || entry.value().get(val) != simdjson::SUCCESS)
      return fail("body is not valid JSON");
    json_field f;
    simdjson::ondemand::json_type t;
    if (val.type().get(t) != simdjson::SUCCESS)
      return fail("body is not valid JSON");
    switch (t) {
      case simdjson::ondemand::json_type::string: {
        std::string_view s;
        if (val.get_string().get(s) != simdjson::SUCCESS)
          return fail("body is not valid JSON");
        f.type = json_field::kind::string;
        f.text = std::string{s};
        break;
      }
      case simdjson::ondemand::json_type::number:
        f.type = json_field::kind::number;
        f.text = std::string{trim_right(val.raw_json_token())};
        break;
      case simdjson::ondemand::json_type::boolean: {
        bool b = false;
        if (val.get_bool().get(b) != simdjson::SUCCESS)
          return fail("body is not valid JSON");
        f.type = json_field::kind::boolean;
        f.text = b ? "true" : "false";
        break;
      }
      case simdjson::ondemand::json_type::null:
        f.type = json_field::kind::null;
        break;
      case simdjson::ondemand::json_type::object:
        f.type = json_field::kind::object;
        break;
      case simdjson::ondemand::json_type::array: {
        f.type = json_field::kind::array;
        f.array_of_strings = true;
        simdjson::ondemand::array arr;
        if (val.get_array().get(arr) != simdjson::SUCCESS)
          return fail("body is not valid JSON");
        for (auto element : arr) {
          std::string_view s;
          if (element.get_string().get(s) != simdjson::SUCCESS) {
            f.array_of_strings = false;
            f.strings.clear();
            break;
          }
          f.strings.emplace_back(s);
        }
        break;
      }
    }
    // A repeated key is ambiguous: refuse rather than guess which one counts.
    for (auto& [name, _] : out.fields_)
      if (name == key)
        return fail("duplicate key in body");
    out.fields_.emplace_back(std::string{key}, std::move(f));
  }
  return out;
}

const json_field* json_object::find(std::string_view name) const {
  for (auto& [k, v] : fields_)
    if (k == name)
      return &v;
  return nullptr;
}

} // namespace broker
