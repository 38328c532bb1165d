#pragma once
// The `marblerun` command line: every command, wired to a Session.
//
//   int main(int argc, char** argv) {
//     return mr::cli::run_marblerun(argc, argv, std::cout, std::cerr, environment());
//   }

#include <iosfwd>

#include "cli/session.h"

namespace mr::cli {

// run_marblerun parses |argv| and runs the chosen command, writing results to |out| and
// progress and errors to |err|. Returns the exit code: 0 success, 1 the command failed, 2 a
// usage error or a command that is not part of this distribution.
[[nodiscard]] int run_marblerun(int argc, const char* const* argv, std::ostream& out,
                                std::ostream& err, Environment env);

}  // namespace mr::cli
