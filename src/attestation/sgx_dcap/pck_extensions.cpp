#include "attestation/sgx_dcap/pck_extensions.h"

#include <fmt/format.h>

#include <algorithm>
#include <string>

#include "attestation/sgx_dcap/der.h"

namespace mr::attestation::dcap {
namespace {

tl::unexpected<Error> bad(std::string_view what) {
  return fail(ErrorCode::kInvalidArgument, fmt::format("PCK certificate SGX extension: {}", what));
}

std::string sub_oid(std::string_view suffix) {
  return std::string(kSgxExtensionOid) + "." + std::string(suffix);
}

template <std::size_t N>
Status copy_fixed(ByteSpan src, std::array<std::uint8_t, N>& dst, std::string_view name) {
  if (src.size() != N) return bad(fmt::format("{} has the wrong size", name));
  std::copy(src.begin(), src.end(), dst.begin());
  return ok();
}

Status parse_tcb(ByteSpan seq_contents, PckExtensions& out) {
  const std::string prefix = sub_oid("2.");
  bool seen[19] = {};
  DerReader items(seq_contents);
  while (!items.done()) {
    MR_ASSIGN_OR_RETURN(DerTlv item, items.expect(der::kSequence));
    DerReader fields(item.value);
    MR_ASSIGN_OR_RETURN(DerTlv oid_tlv, fields.expect(der::kOid));
    MR_ASSIGN_OR_RETURN(std::string oid, der_oid_to_string(oid_tlv.value));
    MR_ASSIGN_OR_RETURN(DerTlv value, fields.next());
    if (oid.rfind(prefix, 0) != 0) continue;
    const std::string idx_text = oid.substr(prefix.size());
    if (idx_text.empty() || idx_text.size() > 2 ||
        !std::all_of(idx_text.begin(), idx_text.end(),
                     [](char c) { return c >= '0' && c <= '9'; })) {
      continue;
    }
    const int idx = std::stoi(idx_text);
    if (idx < 1 || idx > 18) continue;
    if (idx <= 16) {
      if (value.tag != der::kInteger) return bad("TCB component is not an INTEGER");
      MR_ASSIGN_OR_RETURN(std::uint64_t svn, der_to_uint(value.value, 255));
      out.tcb_components[static_cast<std::size_t>(idx - 1)] = static_cast<std::uint8_t>(svn);
    } else if (idx == 17) {
      if (value.tag != der::kInteger) return bad("PCESVN is not an INTEGER");
      MR_ASSIGN_OR_RETURN(std::uint64_t svn, der_to_uint(value.value, 0xffff));
      out.pce_svn = static_cast<std::uint16_t>(svn);
    } else {
      if (value.tag != der::kOctetString) return bad("CPUSVN is not an OCTET STRING");
      MR_RETURN_IF_ERROR(copy_fixed(value.value, out.cpu_svn, "CPUSVN"));
    }
    seen[idx] = true;
  }
  for (int i = 1; i <= 18; ++i) {
    if (!seen[i]) return bad("TCB is incomplete");
  }
  return ok();
}

Bytes seq(std::initializer_list<ByteSpan> parts) {
  Bytes body;
  for (ByteSpan p : parts)
    body.insert(body.end(), p.begin(), p.end());
  return der_encode(der::kSequence, body);
}

}  // namespace

Result<PckExtensions> parse_pck_extensions(ByteSpan value) {
  PckExtensions out;
  bool have_tcb = false, have_pceid = false, have_fmspc = false, have_type = false;
  DerReader outer(value);
  MR_ASSIGN_OR_RETURN(DerTlv top, outer.expect(der::kSequence));
  DerReader items(top.value);
  while (!items.done()) {
    MR_ASSIGN_OR_RETURN(DerTlv item, items.expect(der::kSequence));
    DerReader fields(item.value);
    MR_ASSIGN_OR_RETURN(DerTlv oid_tlv, fields.expect(der::kOid));
    MR_ASSIGN_OR_RETURN(std::string oid, der_oid_to_string(oid_tlv.value));
    MR_ASSIGN_OR_RETURN(DerTlv v, fields.next());
    if (oid == sub_oid("1")) {
      if (v.tag != der::kOctetString) return bad("PPID is not an OCTET STRING");
      out.ppid.assign(v.value.begin(), v.value.end());
    } else if (oid == sub_oid("2")) {
      if (v.tag != der::kSequence) return bad("TCB is not a SEQUENCE");
      MR_RETURN_IF_ERROR(parse_tcb(v.value, out));
      have_tcb = true;
    } else if (oid == sub_oid("3")) {
      if (v.tag != der::kOctetString) return bad("PCE-ID is not an OCTET STRING");
      MR_RETURN_IF_ERROR(copy_fixed(v.value, out.pce_id, "PCE-ID"));
      have_pceid = true;
    } else if (oid == sub_oid("4")) {
      if (v.tag != der::kOctetString) return bad("FMSPC is not an OCTET STRING");
      MR_RETURN_IF_ERROR(copy_fixed(v.value, out.fmspc, "FMSPC"));
      have_fmspc = true;
    } else if (oid == sub_oid("5")) {
      if (v.tag != der::kEnumerated) return bad("SGX Type is not ENUMERATED");
      MR_ASSIGN_OR_RETURN(std::uint64_t t, der_to_uint(v.value, 0xffff));
      out.sgx_type = static_cast<std::uint32_t>(t);
      have_type = true;
    } else if (oid == sub_oid("6")) {
      if (v.tag != der::kOctetString) return bad("PlatformInstanceID is not an OCTET STRING");
      out.platform_instance_id = Bytes(v.value.begin(), v.value.end());
    }
  }
  if (!outer.done()) return bad("trailing data");
  if (!have_tcb) return bad("missing TCB");
  if (!have_pceid) return bad("missing PCE-ID");
  if (!have_fmspc) return bad("missing FMSPC");
  if (!have_type) return bad("missing SGX Type");
  return out;
}

Bytes encode_pck_extensions(const PckExtensions& ext) {
  Bytes tcb_body;
  for (int i = 1; i <= 16; ++i) {
    const Bytes e = seq({der_encode_oid(sub_oid(fmt::format("2.{}", i))),
                         der_encode_uint(ext.tcb_components[static_cast<std::size_t>(i - 1)])});
    tcb_body.insert(tcb_body.end(), e.begin(), e.end());
  }
  const Bytes pcesvn = seq({der_encode_oid(sub_oid("2.17")), der_encode_uint(ext.pce_svn)});
  const Bytes cpusvn =
      seq({der_encode_oid(sub_oid("2.18")), der_encode(der::kOctetString, ext.cpu_svn)});
  tcb_body.insert(tcb_body.end(), pcesvn.begin(), pcesvn.end());
  tcb_body.insert(tcb_body.end(), cpusvn.begin(), cpusvn.end());

  Bytes body;
  auto add = [&](const Bytes& b) { body.insert(body.end(), b.begin(), b.end()); };
  add(seq({der_encode_oid(sub_oid("1")), der_encode(der::kOctetString, ext.ppid)}));
  add(seq({der_encode_oid(sub_oid("2")), der_encode(der::kSequence, tcb_body)}));
  add(seq({der_encode_oid(sub_oid("3")), der_encode(der::kOctetString, ext.pce_id)}));
  add(seq({der_encode_oid(sub_oid("4")), der_encode(der::kOctetString, ext.fmspc)}));
  add(seq({der_encode_oid(sub_oid("5")), der_encode_uint(ext.sgx_type, der::kEnumerated)}));
  if (ext.platform_instance_id) {
    add(seq(
        {der_encode_oid(sub_oid("6")), der_encode(der::kOctetString, *ext.platform_instance_id)}));
  }
  return der_encode(der::kSequence, body);
}

}  // namespace mr::attestation::dcap
