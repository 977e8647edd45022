# Compiles the kernel's Elixir side once per Elixir and OTP version into the cache the kernel
# names (IEXK_CACHE), and evaluates to that ebin folder. boot.exs runs it in every session; a
# jailed session sees the cache read-only, so the kernel runs it beforehand, outside the jail.
ebin = Path.join(System.fetch_env!("IEXK_CACHE"), "#{System.version()}-otp#{System.otp_release()}")

unless File.exists?(Path.join(ebin, "Elixir.IExKernel.beam")) do
  sources = Path.wildcard(Path.join(System.fetch_env!("IEXK_SRC"), "*.ex"))
  tmp = "#{ebin}.#{System.unique_integer([:positive])}.tmp"
  File.mkdir_p!(tmp)
  {:ok, _modules, _warnings} = Kernel.ParallelCompiler.compile_to_path(sources, tmp)
  # Another kernel may have finished first: then its copy is as good as ours.
  with {:error, _} <- File.rename(tmp, ebin), do: File.rm_rf!(tmp)
end

ebin
