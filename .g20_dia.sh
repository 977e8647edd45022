#!/bin/bash
# usage: dia.sh FILE.ex  -> copies project, replaces checkout.ex, compiles, runs dialyzer per 05b recipe
mkdir -p /tmp/g20x
set -e
SRC=/course/exercises/20_validation_gate/project
W=$(mktemp -d /tmp/g20x/w.XXXX)
cp -r $SRC/. $W/; rm -rf $W/_build
cp "$1" $W/lib/shop/checkout.ex
cd $W
MIX_ENV=test mix compile --force 2>&1 | grep -v '^Compiling\|^Generated' || true
mix format --check-formatted >/dev/null 2>&1 && echo "FORMAT ok" || echo "FORMAT bad"
cat > /tmp/g20x/dia_$$.exs <<'EXS'
ebin = Path.expand("_build/test/lib/shop/ebin")
checked = &Enum.reject(&1, fn w -> match?({:warn_unknown, _, _}, w) end)
plt = Path.join(System.tmp_dir!(), "g20_#{System.unique_integer([:positive])}.plt") |> String.to_charlist()
files = [String.to_charlist(ebin)]
_ = checked.(:dialyzer.run(analysis_type: :plt_build, output_plt: plt, files_rec: files))
warnings = checked.(:dialyzer.run(init_plt: plt, files_rec: files))
File.rm(plt)
warnings
|> Enum.reject(&match?({_, _, {:callback_info_missing, _}}, &1))
|> Enum.map(&to_string(:dialyzer.format_warning(&1, error_location: :line)))
|> Enum.map(&(&1 |> String.replace(~r/\s+/, " ") |> String.trim()))
|> Enum.each(&IO.puts("DIALYZER: " <> &1))
IO.puts("DIALYZER: #{length(warnings)} warnings")
EXS
elixir /tmp/g20x/dia_$$.exs
cd /; rm -rf $W /tmp/g20x/dia_$$.exs
