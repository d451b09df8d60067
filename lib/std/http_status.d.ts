/** The reason phrase of every status code RFC 9110 and its successors define: `404` is `Not Found`. */
export const STATUS_TEXT: Readonly<Record<number, string>>;
