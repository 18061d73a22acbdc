import type { Emulator } from "../emulator";
import { newId } from "../ids";
import type { StoredCheckoutSession } from "../resources/checkout";
import type { EmulatedCustomer } from "../resources/customers";
import type { Scope } from "../store";

/** Checkout with `customer_creation=always` and no customer makes one from the session's email. */
export function createCustomerForCheckout(emu: Emulator, scope: Scope, session: StoredCheckoutSession) {
  const customer: EmulatedCustomer = {
    id: newId("cus"),
    object: "customer",
    address: null,
    balance: 0,
    created: emu.now(),
    currency: null,
    default_source: null,
    delinquent: false,
    description: null,
    email: session.customer_email,
    invoice_prefix: newId("x").slice(2, 10).toUpperCase(),
    invoice_settings: { custom_fields: null, default_payment_method: null, footer: null, rendering_options: null },
    livemode: false,
    metadata: {},
    name: null,
    phone: null,
    preferred_locales: [],
    shipping: null,
    tax_exempt: "none",
    test_clock: null,
  };
  const stored = emu.store.put(scope, customer);
  emu.emit(scope, "customer.created", stored);
  return stored;
}
