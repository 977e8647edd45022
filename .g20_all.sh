#!/bin/bash
cd /course
elixir --version | tail -1
for f in exercises/20_validation_gate/project/lib/shop/checkout.ex solutions/20_validation_gate/checkout.ex tests/exercises/20_validation_gate/correct/*.ex tests/exercises/20_validation_gate/half/*.ex; do
  echo "== $f"; bash ./.g20_dia.sh $f 2>&1 | grep -v '^$'
done
cd exercises/20_validation_gate/project && cp ../../../grader/hidden/20_validation_gate/*.exs test/ && cp ../../../solutions/20_validation_gate/checkout.ex lib/shop/ && mix format --check-formatted && echo PROJECT-FORMAT-OK
