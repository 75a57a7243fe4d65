# Warnings live in an INTERFACE target linked PRIVATE into our own targets, so
# they never leak into consumers or third-party code (unlike global flags).
add_library(coroute_warnings INTERFACE)
target_compile_options(coroute_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Woverloaded-virtual
  # Designated initializers that leave fields at their defaults are our API style.
  -Wno-missing-field-initializers
  $<$<BOOL:${COROUTE_WERROR}>:-Werror>)
target_compile_definitions(coroute_warnings INTERFACE
  QT_NO_KEYWORDS QT_NO_CAST_FROM_ASCII QT_NO_CAST_TO_ASCII QT_NO_URL_CAST_FROM_STRING)
# No QT_USE_QSTRINGBUILDER: with `auto s = a + b;` it keeps references to dead temporaries.
