#pragma once
// How the REST handlers answer: JSON bodies, the error shape, a rejection's
// status, and the small parsers of query parameters they share.
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "actors/node.hpp"
#include "edge/http_server.hpp"
#include "protocol/json_writer.hpp"
#include "protocol/requests.hpp"
#include "protocol/views.hpp"

namespace broker::edge {

int http_status(reject_reason r);

http_response json(int status, std::string body);
http_response error(int status, std::string_view code, std::string_view message,
                    std::string_view field = {});
http_response error(const rejection& r);
http_response bad_request(const request_error& e);

// Writes a value with `view` or the rejection, whichever arrived.
template <class T, class View>
reply<T> answer(respond_fn respond, int status, View view) {
  return [respond = std::move(respond), status, view](std::variant<T, rejection> result) {
    if (auto rej = std::get_if<rejection>(&result)) {
      respond(error(*rej));
      return;
    }
    json_writer w;
    view(w, std::get<T>(result));
    respond(json(status, w.take()));
  };
}

// The token of an "Authorization: Bearer T" header (the scheme in any case).
std::optional<std::string> bearer_token(const http_request& req);

// Parses a whole positive decimal integer, nothing else.
std::optional<int64_t> positive_integer(std::string_view s);

// ?page=&limit=: whole numbers from 1; false (and a 400 sent) when not. A
// limit over `max_limit` becomes `max_limit`; the answer's `limit` shows it.
bool read_paging(const http_request& req, int64_t& page, int64_t& limit, int64_t max_limit,
                 respond_fn& respond);

// The fields every paged list ends with: page, limit, total, totalPages.
void write_paging(json_writer& w, int64_t page, int64_t limit, int64_t total);

// ?from=&to= as ISO-8601 UTC times or dates, into `from` and `to` (left as
// they are when absent); false (and a 400 sent) when malformed or from >= to.
bool read_time_range(const http_request& req, timestamp& from, timestamp& to, respond_fn& respond);

} // namespace broker::edge
