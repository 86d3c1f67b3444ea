# fix_dict_check.cmake -- the test fix_dict_sync: what scripts/fix_dictgen.c
# makes of docs/fix/CETS-FIX44.xml must be what is committed: src/fix/tags.h,
# src/fix/dict_table.c and the dictionary's tables in docs/fix.md.
#   cmake -DGEN=fix_dictgen -DDICT=CETS-FIX44.xml -DSRC=src/fix -DDOC=docs/fix.md
#         -DOUT=tmpdir -P fix_dict_check.cmake
file(MAKE_DIRECTORY ${OUT}/fix_dict)
configure_file(${DOC} ${OUT}/fix_dict/fix.md COPYONLY)
execute_process(COMMAND ${GEN} ${DICT} ${OUT}/fix_dict/tags.h ${OUT}/fix_dict/dict_table.c
                ${OUT}/fix_dict/fix.md RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "fix_dictgen failed on ${DICT}")
endif()
foreach(pair "tags.h;${SRC}/tags.h" "dict_table.c;${SRC}/dict_table.c" "fix.md;${DOC}")
  list(GET pair 0 made)
  list(GET pair 1 committed)
  file(READ ${OUT}/fix_dict/${made} want)
  file(READ ${committed} have)
  if(NOT want STREQUAL have)
    message(FATAL_ERROR "${committed} is not what ${DICT} gives: "
                        "run `cmake --build <build> --target fix_dict` and commit")
  endif()
endforeach()
message(STATUS "the generated files agree with ${DICT}")
