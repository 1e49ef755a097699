// The read-only views of one user's money and shares: portfolio, holdings,
// positions, cash history, trades, the combined statement and the tax report.
#include <limits>

#include "edge/responses.hpp"
#include "edge/rest_api.hpp"

namespace broker::edge {

namespace {

const std::string tax_path = "/v1/reports/tax";

// ?year=: a tax year (2000..2100) or, by default, the one holding today.
std::optional<int> read_year(const http_request& req, int current, respond_fn& respond) {
  auto v = req.query_param("year");
  if (!v)
    return current;
  auto n = positive_integer(*v);
  if (!n || *n < 2000 || *n > 2100) {
    respond(error(400, "invalid_field", "year must be a tax year from 2000 to 2100", "year"));
    return std::nullopt;
  }
  return static_cast<int>(*n);
}

bool wants_csv(const http_request& req) {
  if (auto f = req.query_param("format"))
    return *f == "csv";
  auto accept = req.header("accept");
  return accept && accept->find("text/csv") != std::string::npos;
}

} // namespace

bool rest_api::is_account_view(const std::string& path) {
  return path == "/v1/portfolio" || path == "/v1/portfolio/holdings"
         || path == "/v1/portfolio/performance"
         || path == "/v1/portfolio/positions" || path == "/v1/funds/history"
         || path == "/v1/trades" || path == "/v1/transactions" || path == tax_path;
}

void rest_api::on_account_view(const http_request& req, user_id u, respond_fn respond) {
  const auto& path = req.path;
  if (path == "/v1/portfolio" || path == "/v1/portfolio/holdings" || path == "/v1/portfolio/positions") {
    portfolio_parts parts;
    parts.holdings = path != "/v1/portfolio/positions";
    parts.positions = path != "/v1/portfolio/holdings";
    parts.totals = path == "/v1/portfolio";
    node_.portfolio(u, answer<portfolio_value>(std::move(respond), 200,
                                               [parts](json_writer& w, const portfolio_value& p) {
                                                 write_portfolio(w, p, parts);
                                               }));
    return;
  }

  if (path == "/v1/portfolio/performance") {
    const std::string* p = req.query_param("period");
    std::string period = p ? *p : "1M";
    int64_t days = period == "1W" ? 7 : period == "1M" ? 30 : period == "1Y" ? 365 : 0;
    if (days == 0) {
      respond(error(400, "invalid_field", "period must be one of 1W, 1M, 1Y", "period"));
      return;
    }
    const auto& cal = node_.calendar();
    node_.performance(u, days, answer<std::vector<day_value>>(std::move(respond), 200,
                                                            [period, &cal](json_writer& w, const std::vector<day_value>& all) {
      w.begin_object().field("period", period).key("series").begin_array();
      for (auto& d : all)
        w.begin_object()
          .field("date", cal.date_of_day(d.day))
          .money_field("value", d.value)
          .money_field("cash", d.cash)
          .money_field("holdingsValue", d.holdings_value)
          .end_object();
      w.end_array();
      if (!all.empty()) {
        money first = all.front().value, last = all.back().value;
        w.money_field("change", last - first).money_field("changePercent", change_basis_points(last, first));
      }
      w.end_object();
    }));
    return;
  }
  timestamp from = 0, to = std::numeric_limits<timestamp>::max();
  if (path == "/v1/funds/history" || path == "/v1/transactions") {
    int64_t page = 1, limit = 50;
    if (!read_paging(req, page, limit, 500, respond) || !read_time_range(req, from, to, respond))
      return;
    // The history holds every movement (holds, releases, settlements too);
    // transactions only those that moved the user's money in or out.
    node_.funds_history(u, from, to, page, limit, path == "/v1/transactions",
                        answer<journal_page>(std::move(respond), 200,
                                             [page, limit](json_writer& w, const journal_page& p) {
      w.begin_object().key("entries").begin_array();
      for (auto& e : p.entries)
        write_journal_entry(w, e);
      w.end_array();
      write_paging(w, page, limit, p.total);
      w.end_object();
    }));
    return;
  }
  if (path == "/v1/trades") {
    int64_t page = 1, limit = 50;
    if (!read_paging(req, page, limit, 500, respond) || !read_time_range(req, from, to, respond))
      return;
    node_.trades(u, from, to, answer<std::vector<execution_row>>(std::move(respond), 200,
                                                              [page, limit](json_writer& w, const std::vector<execution_row>& all) {
      auto total = static_cast<int64_t>(all.size());
      w.begin_object().key("trades").begin_array();
      // Newest first, like orders.
      for (int64_t i = (page - 1) * limit; i < total && i < page * limit; ++i) {
        auto& e = all[static_cast<size_t>(total - 1 - i)];
        write_trade(w, e.symbol, e.side, e.report, e.fees);
      }
      w.end_array();
      write_paging(w, page, limit, total);
      w.end_object();
    }));
    return;
  }
  // The tax report.
  auto year = read_year(req, node_.current_tax_year(), respond);
  if (!year)
    return;
  bool csv = wants_csv(req);
  node_.tax_report(u, *year, [respond = std::move(respond), csv](std::variant<tax_report, rejection> r) {
    if (auto rej = std::get_if<rejection>(&r)) {
      respond(error(*rej));
      return;
    }
    auto& report = std::get<tax_report>(r);
    if (csv) {
      http_response out;
      out.content_type = "text/csv; charset=utf-8";
      out.headers.emplace_back("Content-Disposition", "attachment; filename=\"capital-gains-"
                                                        + std::to_string(report.year) + ".csv\"");
      out.body = to_csv(report);
      respond(std::move(out));
      return;
    }
    json_writer w;
    write_tax_report(w, report);
    respond(json(200, w.take()));
  });
}

} // namespace broker::edge
