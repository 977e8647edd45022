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

ebin = Path.join(System.fetch_env!("IEXK_CACHE"), "#{System.version()}-otp#{System.otp_release()}")

unless File.exists?(Path.join(ebin, "Elixir.IExKernel.beam")) do
  sources = Path.wildcard(Path.join(System.fetch_env!("IEXK_SRC"), "*.ex"))
  tmp = "#{ebin}.#{System.unique_integer([:positive])}.tmp"
  File.mkdir_p!(tmp)
  {:ok, _modules, _warnings} = Kernel.ParallelCompiler.compile_to_path(sources, tmp)
  # Another kernel may have finished first: then its copy is as good as ours.
  with {:error, _} <- File.rename(tmp, ebin), do: File.rm_rf!(tmp)
end

Code.prepend_path(ebin)
IExKernel.start(System.fetch_env!("IEXK_DIR"), nonce)
