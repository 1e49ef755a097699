#include "storage/narrowed_reads.hpp"

#include <stdexcept>

namespace broker {

std::string rows_where(const std::string& select, const std::string& column, const std::string& parameter) {
  auto order_by = select.rfind(" ORDER BY ");
  if (order_by == std::string::npos)
    throw std::logic_error("for_one_user: no ORDER BY in " + select);
  auto head = select.substr(0, order_by);
  bool filtered = head.find(" WHERE ") != std::string::npos;
  return head + (filtered ? " AND " : " WHERE ") + column + " = " + parameter + select.substr(order_by);
}

} // namespace broker
