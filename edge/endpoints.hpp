#pragma once
// The endpoint a request path belongs to, as a route template
// ("/v1/orders/{orderId}"), for per-endpoint request figures. Templates keep
// the label set bounded: an order id or a symbol in a label would make a new
// Prometheus series per order. A path no route matches is "unmatched".
#include <string_view>

namespace broker::edge {

// Both listeners' routes: the user API's and the operator console's.
std::string_view endpoint_of(std::string_view path);

// "GET", "POST", "PUT", "PATCH", "DELETE"; anything else is "OTHER" (same reason).
std::string_view method_label(std::string_view method);

} // namespace broker::edge
