find_package(Qt6 REQUIRED COMPONENTS Test)

# coroute_add_test(NAME core.router SOURCES tst_router.cpp LIBS Coroute::Core
#                  LABELS core [TIMEOUT 120] [ENV VAR=VALUE...])
function(coroute_add_test)
  cmake_parse_arguments(T "" "NAME;TIMEOUT" "SOURCES;LIBS;LABELS;ENV" ${ARGN})
  string(REPLACE "." "_" target "tst_${T_NAME}")
  add_executable(${target} ${T_SOURCES})
  target_link_libraries(${target} PRIVATE Qt6::Test coroute_testlib ${T_LIBS} coroute_warnings)
  target_compile_definitions(${target} PRIVATE QT_FORCE_ASSERTS)
  add_test(NAME ${T_NAME} COMMAND ${target})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 120)
  endif()
  set_tests_properties(${T_NAME} PROPERTIES
    LABELS "${T_LABELS}" TIMEOUT ${T_TIMEOUT}
    # Tests never touch the user's history: the default location lives in the build tree.
    ENVIRONMENT "QT_QPA_PLATFORM=offscreen;COROUTE_BIN=$<TARGET_FILE:coroute>;XDG_DATA_HOME=${CMAKE_BINARY_DIR}/test-home;${T_ENV}")
endfunction()
