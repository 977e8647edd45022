# Loaded by `iex --dot-iex` when the kernel starts a session (see iex_kernel/session.py).
# Compiles the kernel's Elixir side once per Elixir version into a cache, loads it and
# starts the session. Settings come from the environment the kernel sets.
nonce = System.fetch_env!("IEXK_NONCE")
prompt = "\x02" <> nonce <> ":P\x03"
continuation = "\x02" <> nonce <> ":C\x03"

IEx.configure(
  default_prompt: prompt,
  continuation_prompt: continuation,
  alive_prompt: prompt,
  alive_continuation_prompt: continuation,
  colors: [enabled: false],
  inspect: [pretty: true, width: 80],
  width: 80,
  history_size: 0
)

:io.setopts(:user, encoding: :unicode)
# Notebooks re-run cells that define modules: redefining one is the normal case, not news.
Code.put_compiler_option(:ignore_module_conflict, true)

{ebin, _binding} = Code.eval_file(Path.join(System.fetch_env!("IEXK_SRC"), "cache.exs"))
Code.prepend_path(ebin)

# A jailed session starts in an empty folder of its own: the notebook's folder is copied in.
with seed when is_binary(seed) <- System.get_env("IEXK_SEED"), do: File.cp_r!(seed, File.cwd!())

IExKernel.start(System.fetch_env!("IEXK_DIR"), nonce)
