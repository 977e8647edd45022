defmodule JudgementTest do
  use ExUnit.Case

  # The shape of an answer sheet: which answers are right is checked when your instructor grades.
  @allowed %{
    q1: [:beam, :other_stack],
    q2: [:beam, :other_stack],
    q3: [:one_for_one, :rest_for_one, :one_for_all],
    q4: [:permanent, :transient, :temporary],
    q5: [:genserver, :plain_module, :agent],
    q6: [:owner_call, :protected_ets, :public_ets],
    q7: [:call, :cast, :send],
    q8: [:inline, :task_start, :supervised_task, :genserver_worker],
    q9: [:no_retry, :retry_immediately, :retry_with_backoff],
    q10: [:no_retry, :retry_immediately, :retry_with_backoff],
    q11: [:let_it_crash, :skip_silently, :dead_letter],
    q12: [:let_it_crash, :rescue_with_default, :rescue_and_log]
  }

  @tag points: 1
  test "every question is answered with one of its allowed atoms" do
    wrong =
      for {question, allowed} <- Enum.sort(@allowed),
          answer <- [answer(question)],
          answer not in allowed,
          do: "#{question}: #{inspect(answer)} is not one of #{inspect(allowed)}"

    assert wrong == [], "Answer each question with one of its atoms:\n" <> Enum.join(wrong, "\n")
  end

  defp answer(question) do
    Judgement.answer(question)
  rescue
    error -> {:raised, Exception.message(error)}
  end
end
