-- Billing: the Stripe customer of each paying user, so /api/billing/portal can open that customer's portal and a
-- second checkout reuses the customer. Filled from signed webhook events only (never from what a client sends).
CREATE TABLE billing_customers (
  user_id TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
  stripe_customer_id TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);

-- Subscriptions Stripe has deleted. Deletion is final in Stripe, so an event about one of these that arrives late
-- (created in the same second as the deletion, where timestamps cannot order them) never upgrades again.
CREATE TABLE ended_subscriptions (
  subscription_id TEXT PRIMARY KEY,
  ended_at INTEGER NOT NULL
);
