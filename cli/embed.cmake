# Embeds the CRDs (config/crd/*.yaml) and the sandbox's example repository (examples/demo-app)
# into the eddy binary, so an installed eddy needs neither the source tree nor a share/ layout.
# The generated file defines the table declared in cli/embedded.h. Included by the root
# CMakeLists.txt right after the eddy target is defined.
file(GLOB_RECURSE EDDY_EMBED_FILES CONFIGURE_DEPENDS
  ${CMAKE_SOURCE_DIR}/config/crd/*.yaml ${CMAKE_SOURCE_DIR}/examples/demo-app/*)
set(EDDY_EMBED_OUT ${CMAKE_BINARY_DIR}/generated/eddy_embedded.c)
add_custom_command(OUTPUT ${EDDY_EMBED_OUT}
  COMMAND ${CMAKE_COMMAND} -DSRC=${CMAKE_SOURCE_DIR} -DOUT=${EDDY_EMBED_OUT}
          -P ${CMAKE_SOURCE_DIR}/cli/embed_gen.cmake
  DEPENDS ${EDDY_EMBED_FILES} ${CMAKE_SOURCE_DIR}/cli/embed_gen.cmake
  COMMENT "Embedding the CRDs and examples/demo-app into eddy")
target_sources(eddy PRIVATE ${EDDY_EMBED_OUT})
target_include_directories(eddy PRIVATE ${CMAKE_SOURCE_DIR}/cli)
