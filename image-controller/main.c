/* Placeholder entry point; replaced by the binary's skeleton (issue 2). */
int main(void)
{
	return 0;
}
