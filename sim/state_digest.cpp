#include "sim/state_digest.hpp"

#include <stdexcept>
#include <vector>

#include <SQLiteCpp/SQLiteCpp.h>
#include <sodium.h>

namespace broker::sim {

std::string state_digest(const std::string& sqlite_path) {
  if (sodium_init() < 0)
    throw std::runtime_error("libsodium failed to initialise");
  SQLite::Database db{sqlite_path, SQLite::OPEN_READONLY};
  crypto_generichash_state h;
  unsigned char out[16];
  crypto_generichash_init(&h, nullptr, 0, sizeof out);
  auto feed = [&](const std::string& s) {
    // Length first: ("ab","c") and ("a","bc") must not hash alike.
    auto n = std::to_string(s.size()) + ":";
    crypto_generichash_update(&h, reinterpret_cast<const unsigned char*>(n.data()), n.size());
    crypto_generichash_update(&h, reinterpret_cast<const unsigned char*>(s.data()), s.size());
  };
  std::vector<std::string> tables;
  SQLite::Statement list{db, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
                             "AND name <> 'schema_migrations' ORDER BY name"};
  while (list.executeStep())
    tables.push_back(list.getColumn(0).getString());
  for (auto& table : tables) {
    std::vector<std::string> columns;
    SQLite::Statement info{db, "SELECT name FROM pragma_table_info(?) ORDER BY cid"};
    info.bind(1, table);
    while (info.executeStep()) {
      auto c = info.getColumn(0).getString();
      if (c != "password_hash")
        columns.push_back(c);
    }
    std::string select = "SELECT ", order = " ORDER BY ";
    for (size_t i = 0; i < columns.size(); ++i) {
      select += (i ? ", \"" : "\"") + columns[i] + "\"";
      order += (i ? ", " : "") + std::to_string(i + 1);
    }
    feed("table " + table);
    SQLite::Statement rows{db, select + " FROM \"" + table + "\"" + order};
    while (rows.executeStep()) {
      feed("row");
      for (int i = 0; i < rows.getColumnCount(); ++i) {
        auto col = rows.getColumn(i);
        feed(col.isNull() ? std::string{"\x01null"} : col.getString());
      }
    }
  }
  crypto_generichash_final(&h, out, sizeof out);
  static const char* hex = "0123456789abcdef";
  std::string text;
  for (unsigned char b : out) {
    text += hex[b >> 4];
    text += hex[b & 15];
  }
  return text;
}

} // namespace broker::sim
