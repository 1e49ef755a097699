#include "protocol/fix_market_data.hpp"

#include <charconv>
#include <cstdio>
#include <optional>
#include <set>

#include "protocol/civil_time.hpp"
#include "protocol/decimal.hpp"
#include "protocol/fix_mapping.hpp"
#include "protocol/quickfix.hpp"

namespace broker::fix {

namespace {

constexpr int tag_msg_type = 35;
constexpr int tag_symbol = 55;
constexpr int tag_text = 58;
constexpr int tag_md_req_id = 262;
constexpr int tag_subscription_request_type = 263;
constexpr int tag_market_depth = 264;
constexpr int tag_md_update_type = 265;
constexpr int tag_no_md_entry_types = 267;
constexpr int tag_no_md_entries = 268;
constexpr int tag_md_entry_type = 269;
constexpr int tag_md_entry_px = 270;
constexpr int tag_md_entry_size = 271;
constexpr int tag_md_entry_date = 272;
constexpr int tag_md_entry_time = 273;
constexpr int tag_md_update_action = 279;
constexpr int tag_md_req_rej_reason = 281;
constexpr int tag_no_related_sym = 146;

constexpr char entry_bid = '0';
constexpr char entry_offer = '1';
constexpr char entry_trade = '2';
constexpr char action_new = '0';
constexpr char action_change = '1';
constexpr char action_delete = '2';

// Every field FIX 4.4 allows in an MDEntry (of W and X), so that a venue
// sending more than we read still parses: QuickFIX ends a group at the first
// field its dictionary does not list there.
constexpr int entry_fields[] = {279, 285, 269, 278, 280, 55,  65,  48,  22,  454, 460, 461, 167, 762, 200, 541,
                                224, 225, 239, 226, 227, 228, 255, 543, 470, 471, 472, 240, 202, 947, 206, 231,
                                223, 207, 106, 348, 349, 107, 350, 351, 691, 667, 875, 876, 864, 873, 874, 270,
                                15,  271, 272, 273, 274, 275, 336, 625, 276, 277, 282, 283, 284, 286, 59,  432,
                                126, 110, 18,  287, 37,  299, 288, 289, 346, 290, 546, 811, 451, 58,  354, 355,
                                387, 291, 292, 711, 555, 1023, 1024};

std::string msg_type(const FIX::Message& m) {
  return m.getHeader().isSetField(tag_msg_type) ? m.getHeader().getField(tag_msg_type) : std::string{};
}

std::optional<std::string> field(const FIX::FieldMap& m, int tag) {
  if (!m.isSetField(tag))
    return std::nullopt;
  return m.getField(tag);
}

std::optional<int64_t> whole(std::string_view v) {
  int64_t out = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc{} || end != v.data() + v.size())
    return std::nullopt;
  return out;
}

// "YYYYMMDD" and "HH:MM:SS[.sss]" as nanoseconds since the epoch.
std::optional<timestamp> entry_time(const std::string& date, const std::string& time) {
  if (date.size() != 8 || time.size() < 8 || time[2] != ':' || time[5] != ':')
    return std::nullopt;
  auto y = whole(std::string_view{date}.substr(0, 4)), mo = whole(std::string_view{date}.substr(4, 2)),
       d = whole(std::string_view{date}.substr(6, 2));
  auto h = whole(std::string_view{time}.substr(0, 2)), mi = whole(std::string_view{time}.substr(3, 2)),
       s = whole(std::string_view{time}.substr(6, 2));
  // Nanoseconds since 1970 in 64 bits reach 2262: a year outside is no time we can hold.
  if (!y || !mo || !d || !h || !mi || !s || *y < 1970 || *y > 2261 || *mo < 1 || *mo > 12 || *d < 1 || *d > 31
      || *h > 23 || *mi > 59 || *s > 60)
    return std::nullopt;
  int64_t ms = 0;
  if (time.size() > 8) {
    if (time[8] != '.' || time.size() != 12)
      return std::nullopt;
    auto frac = whole(std::string_view{time}.substr(9));
    if (!frac)
      return std::nullopt;
    ms = *frac;
  }
  int64_t day = days_from_civil(*y, static_cast<int>(*mo), static_cast<int>(*d));
  return day * ns_per_day + ((*h * 60 + *mi) * 60 + *s) * 1'000'000'000 + ms * 1'000'000;
}

void set_entry_time(FIX::FieldMap& g, timestamp t) {
  auto stamp = utc_timestamp(t); // "YYYYMMDD-HH:MM:SS.sss"
  g.setField(tag_md_entry_date, stamp.substr(0, 8));
  g.setField(tag_md_entry_time, stamp.substr(9));
}

void set_money(FIX::FieldMap& g, int tag, money v) { g.setField(tag, format_decimal(v, money_scale)); }

// One MDEntry read: which side or trade, its price, size and time.
struct entry {
  char action = action_new;
  char type = entry_bid;
  std::string symbol;
  money price = 0;
  int64_t size = 0;
  timestamp time = 0;
};

std::variant<entry, std::string> read_entry(const FIX::FieldMap& g, bool incremental, timestamp now) {
  entry e;
  if (incremental) {
    auto a = field(g, tag_md_update_action);
    if (!a || a->size() != 1 || (*a)[0] < action_new || (*a)[0] > action_delete)
      return "MDUpdateAction (279) missing or not 0, 1 or 2";
    e.action = (*a)[0];
    auto s = field(g, tag_symbol);
    if (!s || s->empty())
      return "Symbol (55) missing in an MDEntry";
    e.symbol = *s;
  }
  auto t = field(g, tag_md_entry_type);
  if (!t || t->size() != 1)
    return "MDEntryType (269) missing";
  e.type = (*t)[0];
  if (e.action != action_delete && (e.type == entry_bid || e.type == entry_offer || e.type == entry_trade)) {
    auto px = field(g, tag_md_entry_px);
    auto p = px ? parse_decimal(*px, money_scale) : std::nullopt;
    if (!p || *p < 0)
      return "MDEntryPx (270) missing or not a price: " + px.value_or("");
    e.price = *p;
    if (auto sz = field(g, tag_md_entry_size)) {
      auto n = whole(*sz);
      if (!n || *n < 0)
        return "MDEntrySize (271) not a whole number: " + *sz;
      e.size = *n;
    }
  }
  e.time = now;
  if (auto d = field(g, tag_md_entry_date), tm = field(g, tag_md_entry_time); d && tm) {
    auto at = entry_time(*d, *tm);
    if (!at)
      return "MDEntryDate/MDEntryTime (272/273) malformed: " + *d + " " + *tm;
    e.time = *at;
  }
  return e;
}

} // namespace

std::shared_ptr<FIX::DataDictionary> market_data_dictionary() {
  // No version and no field definitions: nothing is validated, the
  // dictionary only says where each repeating group starts and what it holds.
  auto dd = std::make_shared<FIX::DataDictionary>();
  FIX::DataDictionary entries;
  for (int f : entry_fields)
    entries.addField(f);
  dd->addGroup("W", tag_no_md_entries, tag_md_entry_type, entries);
  dd->addGroup("X", tag_no_md_entries, tag_md_update_action, entries);
  FIX::DataDictionary types;
  types.addField(tag_md_entry_type);
  dd->addGroup("V", tag_no_md_entry_types, tag_md_entry_type, types);
  FIX::DataDictionary symbols;
  for (int f : {55, 65, 48, 22, 460, 461, 167, 200, 541, 207, 106, 107})
    symbols.addField(f);
  dd->addGroup("V", tag_no_related_sym, tag_symbol, symbols);
  return dd;
}

void parse_market_data_groups(FIX::Session& session, const std::string& begin_string) {
  FIX::DataDictionaryProvider groups;
  groups.addTransportDataDictionary(FIX::BeginString{begin_string}, market_data_dictionary());
  session.setDataDictionaryProvider(groups);
}

std::string market_data_session_settings(const std::string& begin_string, const std::string& sender_comp_id,
                                         const std::string& target_comp_id) {
  // A quote is worth nothing once it is late: nothing to resend, and a gap
  // is not worth filling.
  return "[SESSION]\nBeginString=" + begin_string + "\nSenderCompID=" + sender_comp_id
         + "\nTargetCompID=" + target_comp_id
         + "\nPersistMessages=N\nResetOnLogon=Y\nResetOnLogout=Y\nResetOnDisconnect=Y\n";
}

FIX::Message market_data_request(const std::string& request_id, const std::vector<std::string>& symbols) {
  FIX::Message m;
  m.getHeader().setField(tag_msg_type, "V");
  m.setField(tag_md_req_id, request_id);
  m.setField(tag_subscription_request_type, "1");
  m.setField(tag_market_depth, "1");
  m.setField(tag_md_update_type, "1");
  for (char type : {entry_bid, entry_offer, entry_trade}) {
    FIX::Group g(tag_no_md_entry_types, tag_md_entry_type);
    g.setField(tag_md_entry_type, std::string(1, type));
    m.addGroup(g);
  }
  for (auto& s : symbols) {
    FIX::Group g(tag_no_related_sym, tag_symbol);
    g.setField(tag_symbol, s);
    m.addGroup(g);
  }
  return m;
}

std::variant<market_data, std::string> read_market_data(const FIX::Message& m, book_tops& book, timestamp now) {
  auto type = msg_type(m);
  bool incremental = type == "X";
  if (!incremental && type != "W")
    return "not market data: MsgType " + type;
  market_data out;
  out.request_id = field(m, tag_md_req_id).value_or("");
  std::string snapshot_symbol;
  if (!incremental) {
    auto s = field(m, tag_symbol);
    if (!s || s->empty())
      return std::string{"Symbol (55) missing in a snapshot"};
    snapshot_symbol = *s;
  }
  size_t count = m.groupCount(tag_no_md_entries);
  if (auto declared = field(m, tag_no_md_entries); declared && whole(*declared) != static_cast<int64_t>(count))
    return "NoMDEntries (268) says " + *declared + ", the message holds " + std::to_string(count);
  // A symbol whose bid or offer moved since its last tick here: it becomes a
  // quote-only tick unless a trade of it comes next (which carries the move).
  std::optional<std::pair<std::string, timestamp>> pending;
  auto flush = [&] {
    if (pending) {
      auto& top = book[pending->first];
      out.ticks.push_back(tick{pending->first, pending->second, 0, 0, top.bid, top.ask});
      pending.reset();
    }
  };
  if (!incremental) { // a snapshot replaces the top of book: a side it leaves out is empty
    book[snapshot_symbol] = top_of_book{};
    pending.emplace(snapshot_symbol, now);
  }
  for (size_t i = 1; i <= count; ++i) {
    auto r = read_entry(m.getGroupRef(static_cast<int>(i), tag_no_md_entries), incremental, now);
    if (auto* why = std::get_if<std::string>(&r))
      return "MDEntry " + std::to_string(i) + ": " + *why;
    auto& e = std::get<entry>(r);
    if (!incremental)
      e.symbol = snapshot_symbol;
    if (pending && pending->first != e.symbol)
      flush();
    auto& top = book[e.symbol];
    if (e.type == entry_bid || e.type == entry_offer) {
      money& side = e.type == entry_bid ? top.bid : top.ask;
      side = e.action == action_delete ? 0 : e.price;
      pending.emplace(e.symbol, e.time);
    } else if (e.type == entry_trade && incremental && e.action != action_delete && e.size > 0) {
      out.ticks.push_back(tick{e.symbol, e.time, e.price, e.size, top.bid, top.ask});
      pending.reset();
    }
  }
  flush();
  return out;
}

market_data_reject read_market_data_reject(const FIX::Message& m) {
  market_data_reject r;
  r.request_id = field(m, tag_md_req_id).value_or("");
  r.text = field(m, tag_text).value_or("no reason given");
  return r;
}

std::variant<subscription, std::string> read_market_data_request(const FIX::Message& m) {
  subscription s;
  auto id = field(m, tag_md_req_id);
  if (!id || id->empty())
    return std::string{"MDReqID (262) missing"};
  s.request_id = *id;
  auto type = field(m, tag_subscription_request_type);
  if (!type || type->size() != 1 || (*type)[0] < '0' || (*type)[0] > '2')
    return "SubscriptionRequestType (263) missing or not 0, 1 or 2: " + type.value_or("");
  s.request_type = (*type)[0];
  size_t count = m.groupCount(tag_no_related_sym);
  for (size_t i = 1; i <= count; ++i) {
    auto sym = field(m.getGroupRef(static_cast<int>(i), tag_no_related_sym), tag_symbol);
    if (!sym || sym->empty())
      return "Symbol (55) missing in NoRelatedSym entry " + std::to_string(i);
    s.symbols.push_back(*sym);
  }
  if (s.symbols.empty() && s.request_type != '2')
    return std::string{"NoRelatedSym (146): no symbols"};
  return s;
}

FIX::Message snapshot_message(const std::string& request_id, const tick& top, timestamp now) {
  FIX::Message m;
  m.getHeader().setField(tag_msg_type, "W");
  m.setField(tag_md_req_id, request_id);
  m.setField(tag_symbol, top.symbol);
  auto add = [&](char type, money price, int64_t size, timestamp at) {
    FIX::Group g(tag_no_md_entries, tag_md_entry_type);
    g.setField(tag_md_entry_type, std::string(1, type));
    set_money(g, tag_md_entry_px, price);
    if (size > 0)
      g.setField(tag_md_entry_size, std::to_string(size));
    set_entry_time(g, at);
    m.addGroup(g);
  };
  if (top.bid > 0)
    add(entry_bid, top.bid, 0, now);
  if (top.ask > 0)
    add(entry_offer, top.ask, 0, now);
  if (top.last_quantity > 0)
    add(entry_trade, top.last_price, top.last_quantity, top.exchange_time);
  if (!m.isSetField(tag_no_md_entries))
    m.setField(tag_no_md_entries, "0");
  return m;
}

FIX::Message incremental_message(const std::string& request_id, const std::vector<tick>& ticks) {
  FIX::Message m;
  m.getHeader().setField(tag_msg_type, "X");
  m.setField(tag_md_req_id, request_id);
  for (auto& t : ticks) {
    for (char type : {entry_bid, entry_offer}) {
      money price = type == entry_bid ? t.bid : t.ask;
      FIX::Group g(tag_no_md_entries, tag_md_update_action);
      g.setField(tag_md_update_action, std::string(1, price > 0 ? action_change : action_delete));
      g.setField(tag_md_entry_type, std::string(1, type));
      g.setField(tag_symbol, t.symbol);
      if (price > 0)
        set_money(g, tag_md_entry_px, price);
      set_entry_time(g, t.exchange_time);
      m.addGroup(g);
    }
    if (t.last_quantity > 0) {
      FIX::Group g(tag_no_md_entries, tag_md_update_action);
      g.setField(tag_md_update_action, std::string(1, action_new));
      g.setField(tag_md_entry_type, std::string(1, entry_trade));
      g.setField(tag_symbol, t.symbol);
      set_money(g, tag_md_entry_px, t.last_price);
      g.setField(tag_md_entry_size, std::to_string(t.last_quantity));
      set_entry_time(g, t.exchange_time);
      m.addGroup(g);
    }
  }
  return m;
}

FIX::Message market_data_reject_message(const std::string& request_id, const std::string& why) {
  FIX::Message m;
  m.getHeader().setField(tag_msg_type, "Y");
  m.setField(tag_md_req_id, request_id);
  m.setField(tag_md_req_rej_reason, "0"); // unknown symbol
  m.setField(tag_text, why);
  return m;
}

} // namespace broker::fix
