import { z } from 'zod';

/** The Luhn (mod 10) checksum that every real card number satisfies. */
export function passesLuhn(digits: string): boolean {
  if (!/^[0-9]+$/.test(digits)) return false;
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i -= 1) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/** True when the card's last valid month (MM/YYYY, valid through the end of that month) is before `now`'s month (UTC). */
export function isExpired(card: { expMonth: number; expYear: number }, now: Date): boolean {
  const year = now.getUTCFullYear();
  const month = now.getUTCMonth() + 1;
  return card.expYear < year || (card.expYear === year && card.expMonth < month);
}

/** Only the last four digits ever leave the payments module or reach the database. */
export function last4(number: string): string {
  return number.slice(-4);
}

/**
 * The card as a client sends it. Validates shape and the Luhn checksum, so a mistyped number is a
 * 400 naming `body.card.number`; whether the card is accepted is the provider's decision (402).
 */
export const CardSchema = z
  .object({
    number: z
      .string()
      .regex(/^[0-9]{12,19}$/, 'must be 12 to 19 digits')
      .refine(passesLuhn, 'is not a valid card number (Luhn check failed)')
      .meta({ description: 'Card number, digits only. 4000000000000002 is always declined; 4000000000009995 is declined for insufficient funds; any other Luhn-valid number is captured.', example: '4242424242424242' }),
    expMonth: z.number().int().min(1).max(12),
    expYear: z.number().int().min(2000).max(2100),
    cvc: z.string().regex(/^[0-9]{3,4}$/, 'must be 3 or 4 digits'),
  })
  .strict()
  .meta({ id: 'Card', description: 'Card details; only the last four digits are stored, never the number or the CVC.' });
