include(CMakePackageConfigHelpers)
set(COROUTE_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/Coroute)

install(EXPORT CorouteTargets NAMESPACE Coroute:: FILE CorouteTargets.cmake
        DESTINATION ${COROUTE_CMAKE_DIR})
configure_package_config_file(cmake/CorouteConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/CorouteConfig.cmake INSTALL_DESTINATION ${COROUTE_CMAKE_DIR})
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/CorouteConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/CorouteConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/CorouteConfigVersion.cmake
        DESTINATION ${COROUTE_CMAKE_DIR})
