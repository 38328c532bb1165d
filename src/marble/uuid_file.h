#pragma once
// The Marble instance UUID file (spec 2.3 step 2, EDG_MARBLE_UUID_FILE): the canonical text form
// of a UUID, created with mode 0600 on first start and reused on every restart.
//
//   MR_ASSIGN_OR_RETURN(UuidFile u, load_or_create_uuid("/var/lib/marble/uuid"));
//   request.uuid = u.uuid.to_string();

#include <filesystem>

#include "base/result.h"
#include "base/uuid.h"

namespace mr::marble {

struct UuidFile {
  Uuid uuid;
  bool created = false;  // true if this call wrote the file
};

// load_or_create_uuid reads the UUID from |path| (surrounding whitespace is ignored; every form
// Uuid::parse accepts is fine), or, if |path| does not exist, creates it holding a fresh random
// (version 4) UUID in canonical form with mode 0600. Creation is atomic (a temporary file in
// the same directory, fsync, then link): a concurrent creator's UUID wins and is returned, and
// a crash never leaves a partial file. The parent directory must exist. Errors:
// kInvalidArgument "UUID file <path> does not hold a UUID: <reason>" (the content is not
// echoed); kUnavailable "reading/writing UUID file <path>: <errno text>".
[[nodiscard]] Result<UuidFile> load_or_create_uuid(const std::filesystem::path& path);

}  // namespace mr::marble
