#pragma once
// The Coordinator's state machine (spec 4): codes and the status messages clients see.

#include <string_view>

namespace mr::core {

enum class State : int {
  kUninitialized = 0,      // transient during startup
  kRecovery = 1,           // sealed state exists but its key could not be unsealed
  kAcceptingManifest = 2,  // no manifest yet
  kAcceptingMarbles = 3,   // manifest set; normal operation
};

// state_message returns upstream's status text for |s| (spec 3.6, GET /api/v2/status).
[[nodiscard]] constexpr std::string_view state_message(State s) {
  switch (s) {
    case State::kRecovery:
      return "Coordinator is in recovery mode. Either upload a key to unseal the saved state, or "
             "set a new "
             "manifest. For more information on how to proceed, consult the documentation.";
    case State::kAcceptingManifest:
      return "Coordinator is ready to accept a manifest.";
    case State::kAcceptingMarbles:
      return "Coordinator is running correctly and ready to accept marbles.";
    case State::kUninitialized:
      break;
  }
  return "";
}

// kWrongStateMessage is the error text of any operation called in the wrong state.
inline constexpr std::string_view kWrongStateMessage = "server is not in expected state";

}  // namespace mr::core
