#pragma once
// Applying activation Parameters (spec 2.3 step 6): write Files, set Env, pick the argv to run.
//
//   MR_RETURN_IF_ERROR(write_files(params.files));
//   MR_RETURN_IF_ERROR(apply_env(params.env));
//   MR_ASSIGN_OR_RETURN(auto argv, program_argv(command_line, params.argv));

#include <filesystem>
#include <string>
#include <vector>

#include "base/result.h"
#include "marble/parameters.h"

namespace mr::marble {

struct FileWriteOptions {
  // Where Gramine's /dev/attestation lives. Files for "/dev/attestation/keys/..." and
  // "/dev/attestation/protected_files_key" go below this directory instead (tests point it at
  // a temporary directory).
  std::filesystem::path attestation_dir = "/dev/attestation";
};

// write_files writes every entry of |files| (path → content; relative paths are relative to the
// working directory). Gramine key files (see FileWriteOptions) are written first, in place and
// with one write(2), as Gramine's pseudo-files need. Every other file: missing parent
// directories are created with mode 0700 (existing ones are left alone), the content goes to a
// temporary file in the same directory with mode 0600 that is fsynced and renamed over the
// target, so readers never see a partial file and the result is 0600 whatever existed before
// (a symbolic link at the target is replaced, not followed).
// Stops at the first failure: kUnavailable "writing file <path>: <errno text>" (content is
// never echoed), kInvalidArgument for an empty path.
[[nodiscard]] Status write_files(const Parameters::Map& files,
                                 const FileWriteOptions& options = {});

// apply_env sets every entry of |env| in this process's environment (setenv, overwriting).
// kInvalidArgument "invalid environment variable name" for an empty name or one with '=' (none
// is set then).
[[nodiscard]] Status apply_env(const Parameters::Map& env);

// program_argv chooses what to run: |command_line| (the words after "--") if not empty, else
// the Coordinator's |argv| if not empty. kInvalidArgument "no program to run: ..." if both are
// empty.
[[nodiscard]] Result<std::vector<std::string>> program_argv(
    const std::vector<std::string>& command_line, const std::vector<std::string>& argv);

}  // namespace mr::marble
