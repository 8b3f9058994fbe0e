-- bare_json: GET /bench/bare-json/, the baseline (Django with no app work). Expects 200.
dofile("bench/wrk/common.lua")
expected_status = 200
