#include "attestation/claims.h"

#include <utility>

namespace mr::attestation {
namespace {

constexpr std::pair<TcbStatus, std::string_view> kStatusNames[] = {
    {TcbStatus::kUpToDate, "UpToDate"},
    {TcbStatus::kSWHardeningNeeded, "SWHardeningNeeded"},
    {TcbStatus::kConfigurationNeeded, "ConfigurationNeeded"},
    {TcbStatus::kConfigurationAndSWHardeningNeeded, "ConfigurationAndSWHardeningNeeded"},
    {TcbStatus::kOutOfDate, "OutOfDate"},
    {TcbStatus::kOutOfDateConfigurationNeeded, "OutOfDateConfigurationNeeded"},
    {TcbStatus::kRevoked, "Revoked"},
    {TcbStatus::kUnknown, "Unknown"},
};

const ReportData kZeroReportData{};

}  // namespace

std::string_view tee_type_name(TeeType t) {
  return t == TeeType::kTdx ? "TDX" : "SGX";
}

std::string_view tcb_status_name(TcbStatus s) {
  for (const auto& [status, name] : kStatusNames) {
    if (status == s) return name;
  }
  return "Unknown";
}

std::optional<TcbStatus> parse_tcb_status(std::string_view s) {
  for (const auto& [status, name] : kStatusNames) {
    if (name == s) return status;
  }
  return std::nullopt;
}

TcbVerdict verdict_for(TcbStatus s) {
  return (s == TcbStatus::kUpToDate || s == TcbStatus::kSWHardeningNeeded)
             ? TcbVerdict::kOk
             : TcbVerdict::kTcbLevelInvalid;
}

const ReportData& VerifiedQuote::report_data() const {
  if (sgx) return sgx->report_data;
  if (td) return td->report_data;
  return kZeroReportData;
}

bool VerifiedQuote::debug() const {
  if (sgx) return sgx->debug();
  if (td) return td->debug();
  return false;
}

}  // namespace mr::attestation
