defmodule Judgement do
  @moduledoc """
  A teammate's first draft of the design-review checklist: one atom per scenario (the
  scenarios are in the notebook). Each comment lists the atoms a question allows.
  """

  # q1 admin tool, four tables:        :beam | :other_stack
  def answer(:q1), do: :other_stack
  # q2 presence, 200k connections:     :beam | :other_stack
  def answer(:q2), do: :beam
  # q3 Events.Bus, then Orders.Cache:  :one_for_one | :rest_for_one | :one_for_all
  def answer(:q3), do: :rest_for_one
  # q4 one CSV import per worker:      :permanent | :transient | :temporary
  def answer(:q4), do: :transient
  # q5 Pricing.quote/2:                :genserver | :plain_module | :agent
  def answer(:q5), do: :plain_module
  # q6 feature flags, 20k reads/s:     :owner_call | :protected_ets | :public_ets
  def answer(:q6), do: :protected_ets
  # q7 reserve stock before confirm:   :call | :cast | :send
  def answer(:q7), do: :call
  # q8 welcome e-mail on sign-up:      :inline | :task_start | :supervised_task | :genserver_worker
  def answer(:q8), do: :supervised_task
  # q9 provider answers 422:           :no_retry | :retry_immediately | :retry_with_backoff
  def answer(:q9), do: :no_retry
  # q10 charge timed out, key sent:    :no_retry | :retry_immediately | :retry_with_backoff
  def answer(:q10), do: :retry_with_backoff
  # q11 one malformed queue message:   :let_it_crash | :skip_silently | :dead_letter
  def answer(:q11), do: :dead_letter
  # q12 config key missing at start:   :let_it_crash | :rescue_with_default | :rescue_and_log
  def answer(:q12), do: :todo
end
