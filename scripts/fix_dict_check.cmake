# fix_dict_check.cmake -- the test fix_dict_sync: what scripts/fix_dictgen.c
# makes of docs/fix/CETS-FIX44.xml must be what is committed in src/fix/.
#   cmake -DGEN=fix_dictgen -DDICT=CETS-FIX44.xml -DSRC=src/fix -DOUT=tmpdir -P fix_dict_check.cmake
file(MAKE_DIRECTORY ${OUT}/fix_dict)
execute_process(COMMAND ${GEN} ${DICT} ${OUT}/fix_dict/tags.h RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "fix_dictgen failed on ${DICT}")
endif()
foreach(f tags.h)
  file(READ ${OUT}/fix_dict/${f} want)
  file(READ ${SRC}/${f} have)
  if(NOT want STREQUAL have)
    message(FATAL_ERROR "src/fix/${f} is not what ${DICT} gives: "
                        "run `cmake --build <build> --target fix_dict` and commit")
  endif()
endforeach()
message(STATUS "src/fix generated files agree with ${DICT}")
